// `cqrs-broker clients …`: the apps that may use the broker. A confidential client's secret is printed
// once when it is made or rotated; the broker stores only its SHA-256 digest (shared/oidc/clientStore.ts).
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { Knex } from 'knex';
import type { ClientMetadata } from 'oidc-provider';
import {
  addClient,
  type ClientRecord,
  findClient,
  listClients,
  removeClient,
  rotateClientSecret,
} from '../../shared/oidc/clientStore.ts';
import { AuditLog } from '../accounts/audit.ts';
import { revokeClientTokens } from '../issuer/revocation.ts';
import { CliError, collect, withBroker } from './context.ts';
import { formatTime, isoTime, note, print, printJson, printTable } from './output.ts';

interface AddOptions {
  redirectUri: string[];
  postLogoutRedirectUri: string[];
  backchannelLogoutUri?: string;
  public?: boolean;
  resourceServer?: boolean;
  name?: string;
  json?: boolean;
}

const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Absolute http(s) without a fragment; plain http only on loopback, where it never crosses a network. */
export function checkClientUri(option: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError(`${option} "${value}" is not an absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new CliError(`${option} "${value}" must be an http(s) URL`);
  if (value.includes('#')) throw new CliError(`${option} "${value}" must not contain a fragment (#)`);
  if (url.protocol === 'http:' && !loopbackHosts.has(url.hostname))
    throw new CliError(
      `${option} "${value}" must use https (http is allowed only for localhost and 127.0.0.1)`,
    );
  return value;
}

function clientType(client: ClientRecord): string {
  if (client.metadata['cqrs_resource_server'] === true) return 'resource server';
  return client.confidential ? 'confidential' : 'public';
}

function metadataFor(options: AddOptions): Omit<ClientMetadata, 'client_id'> {
  const name = options.name ? { client_name: options.name } : {};
  // A resource server only introspects tokens: it never takes part in a sign-in.
  if (options.resourceServer)
    return { ...name, redirect_uris: [], grant_types: [], response_types: [], cqrs_resource_server: true };
  return {
    ...name,
    redirect_uris: options.redirectUri,
    ...(options.postLogoutRedirectUri.length > 0
      ? { post_logout_redirect_uris: options.postLogoutRedirectUri }
      : {}),
    ...(options.backchannelLogoutUri
      ? { backchannel_logout_uri: options.backchannelLogoutUri, backchannel_logout_session_required: true }
      : {}),
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    scope: 'openid email profile cqrs offline_access',
  };
}

function checkAddOptions(clientId: string, options: AddOptions): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/.test(clientId))
    throw new CliError('client id must be letters, digits, ".", "_" or "-" (at most 255)');
  if (options.public && options.resourceServer)
    throw new CliError('a resource server authenticates with a secret, so it cannot be --public');
  if (options.resourceServer) {
    if (
      options.redirectUri.length > 0 ||
      options.postLogoutRedirectUri.length > 0 ||
      options.backchannelLogoutUri
    )
      throw new CliError('a resource server has no redirect, post-logout or back-channel logout URIs');
    return;
  }
  if (options.redirectUri.length === 0) throw new CliError('give at least one --redirect-uri');
  for (const uri of options.redirectUri) checkClientUri('--redirect-uri', uri);
  for (const uri of options.postLogoutRedirectUri) checkClientUri('--post-logout-redirect-uri', uri);
  if (options.backchannelLogoutUri) checkClientUri('--backchannel-logout-uri', options.backchannelLogoutUri);
}

async function audit(db: Knex, outcome: string, clientId: string, detail: string): Promise<void> {
  await new AuditLog(db).record({ event: 'client', outcome, correlationId: randomUUID(), clientId, detail });
}

function printSecret(clientId: string, secret: string, json: boolean | undefined): void {
  if (json) {
    printJson({ client_id: clientId, client_secret: secret });
    return;
  }
  print(`Client secret: ${secret}`);
  note('Store the secret now: it is not shown again (the broker keeps only its SHA-256 digest).');
}

export function registerClientCommands(program: Command): void {
  const clients = program.command('clients').description('OAuth clients of the broker: the apps that use it');

  clients
    .command('add')
    .description('register a client; a confidential client gets a secret, printed once')
    .argument('<client-id>')
    .option('--redirect-uri <uri>', 'where sign-ins return (repeatable; exact match)', collect, [])
    .option('--post-logout-redirect-uri <uri>', 'where sign-outs return (repeatable)', collect, [])
    .option('--backchannel-logout-uri <uri>', 'where the broker posts logout tokens')
    .option('--public', 'a client without a secret (a native or browser app; PKCE is required anyway)')
    .option('--resource-server', 'an API that introspects tokens: a secret and no redirect URIs')
    .option('--name <name>', 'display name')
    .option('--json', 'print the client id and secret as JSON')
    .action(async (clientId: string, options: AddOptions) => {
      checkAddOptions(clientId, options);
      await withBroker(async ({ db, actor }) => {
        const confidential = !options.public;
        let kind = confidential ? 'confidential client' : 'public client';
        if (options.resourceServer) kind = 'resource server';
        const { secret } = await db.transaction(async (trx) => {
          const added = await addClient(trx, { clientId, metadata: metadataFor(options), confidential });
          await audit(trx, 'added', clientId, `${kind}; by ${actor}`);
          return added;
        });
        if (!options.json) print(`Added ${kind} ${clientId}.`);
        if (secret) printSecret(clientId, secret, options.json);
        else if (options.json) printJson({ client_id: clientId });
      });
    });

  clients
    .command('list')
    .description('list clients (secrets are never shown: only their digests are stored)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      await withBroker(async ({ db }) => {
        const list = await listClients(db);
        if (options.json)
          return printJson(
            list.map((client) => ({
              clientId: client.clientId,
              type: clientType(client),
              name: client.metadata.client_name ?? null,
              redirectUris: client.metadata.redirect_uris ?? [],
              postLogoutRedirectUris: client.metadata.post_logout_redirect_uris ?? [],
              backchannelLogoutUri: client.metadata.backchannel_logout_uri ?? null,
              createdAt: isoTime(client.createdAt),
            })),
          );
        printTable(
          ['Client id', 'Type', 'Name', 'Created', 'Redirect URIs'],
          list.map((client) => [
            client.clientId,
            clientType(client),
            client.metadata.client_name ?? '-',
            formatTime(client.createdAt),
            (client.metadata.redirect_uris ?? []).join(' ') || '-',
          ]),
          'No clients.',
        );
      });
    });

  clients
    .command('remove')
    .description('remove a client and end the tokens and grants issued to it')
    .argument('<client-id>')
    .action(async (clientId: string) => {
      await withBroker(async ({ db, actor }) => {
        const ended = await db.transaction(async (trx) => {
          if (!(await removeClient(trx, clientId))) throw new CliError(`no client ${clientId}`);
          const count = await revokeClientTokens(trx, clientId);
          await audit(trx, 'removed', clientId, `${count} tokens and grants ended; by ${actor}`);
          return count;
        });
        print(`Removed client ${clientId}; ended ${ended} token(s) and grant(s) issued to it.`);
      });
    });

  clients
    .command('rotate-secret')
    .description("replace a confidential client's secret; the old one stops working at once")
    .argument('<client-id>')
    .option('--json', 'print the client id and new secret as JSON')
    .action(async (clientId: string, options: { json?: boolean }) => {
      await withBroker(async ({ db, actor }) => {
        const client = await findClient(db, clientId);
        if (!client) throw new CliError(`no client ${clientId}`);
        if (!client.confidential)
          throw new CliError(`client ${clientId} is public: it has no secret to rotate`);
        const secret = await db.transaction(async (trx) => {
          const rotated = await rotateClientSecret(trx, clientId);
          if (!rotated) throw new CliError(`no client ${clientId}`);
          await audit(trx, 'secret_rotated', clientId, `by ${actor}`);
          return rotated;
        });
        if (!options.json)
          print(`Rotated the secret of ${clientId}; the old secret no longer authenticates.`);
        printSecret(clientId, secret, options.json);
      });
    });
}
