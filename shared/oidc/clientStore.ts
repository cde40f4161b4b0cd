// The registry of OAuth clients an oidc-provider instance serves. Secrets are generated with enough
// entropy that a SHA-256 digest is a safe verifier; only the digest is stored. Every write bumps the
// registry version in the same transaction, so that running services, which keep the clients they
// have read (clientCache.ts), notice any change, whichever process made it.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Knex } from 'knex';
import type { AdapterPayload, ClientMetadata, Provider } from 'oidc-provider';
import { ConflictError } from '../errors.ts';

export interface ClientRow {
  client_id: string;
  secret_sha256: string | null;
  metadata: string;
  created_at: number;
  updated_at: number;
}

export function hashClientSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function generateClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** The metadata oidc-provider sees: the digest stands in for `client_secret` (see installHashedClientSecrets). */
export function clientMetadataFromRow(row: ClientRow): AdapterPayload {
  const metadata = JSON.parse(row.metadata) as ClientMetadata;
  return {
    ...metadata,
    client_id: row.client_id,
    ...(row.secret_sha256 ? { client_secret: row.secret_sha256 } : {}),
  } as AdapterPayload;
}

/**
 * oidc-provider compares a presented secret with the stored `client_secret`; here the stored value is
 * a digest, so compare digests. Only client_secret_basic/post are enabled, which never use the secret
 * as a key (client_secret_jwt and HS* algorithms are off).
 */
export function installHashedClientSecrets(provider: Provider): void {
  const prototype = provider.Client.prototype as unknown as {
    clientSecret?: string;
    compareClientSecret(actual: string): boolean;
  };
  prototype.compareClientSecret = function compareClientSecret(actual: string): boolean {
    if (!this.clientSecret || typeof actual !== 'string') return false;
    const expected = Buffer.from(this.clientSecret, 'hex');
    const presented = Buffer.from(hashClientSecret(actual), 'hex');
    return expected.length === presented.length && timingSafeEqual(expected, presented);
  };
}

export interface ClientRecord {
  clientId: string;
  confidential: boolean;
  metadata: ClientMetadata;
  createdAt: number;
}

function toRecord(row: ClientRow): ClientRecord {
  return {
    clientId: row.client_id,
    confidential: row.secret_sha256 !== null,
    metadata: JSON.parse(row.metadata) as ClientMetadata,
    createdAt: row.created_at,
  };
}

export class ClientExistsError extends ConflictError {
  override name = 'ClientExistsError';
  constructor(message: string) {
    super(message, 'client_exists');
  }
}

/** The one-row table whose counter moves with every client write (migration 0021). */
const versionTable = 'oauth_clients_version';

/** The registry version now: one statement, which every running service repeats on a timer. */
export async function clientRegistryVersion(db: Knex): Promise<number | undefined> {
  const row = await db<{ id: number; version: number }>(versionTable).where({ id: 1 }).first('version');
  return row ? Number(row.version) : undefined;
}

/** The stored row of one client, straight from the database. */
export async function readClientRow(db: Knex, clientId: string): Promise<ClientRow | undefined> {
  return db<ClientRow>('oauth_clients').where({ client_id: clientId }).first();
}

/**
 * Runs a client write in the caller's transaction, or in one of its own: the write and the version
 * bump it makes commit together, so no service sees the new version without the new row.
 */
function inTransaction<T>(db: Knex, work: (trx: Knex) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction(work);
}

async function bumpRegistryVersion(trx: Knex): Promise<void> {
  await trx(versionTable).where({ id: 1 }).increment('version', 1);
}

/**
 * Registers a client. Confidential clients get a generated secret (or the given one, for seeds),
 * returned once. Throws ClientExistsError when the id is taken.
 */
export async function addClient(
  db: Knex,
  input: {
    clientId: string;
    metadata: Omit<ClientMetadata, 'client_id'>;
    confidential: boolean;
    secret?: string;
  },
): Promise<{ clientId: string; secret: string | undefined }> {
  return inTransaction(db, async (trx) => {
    const existing = await trx('oauth_clients').where({ client_id: input.clientId }).first();
    if (existing) throw new ClientExistsError(`client ${input.clientId} already exists`);
    const secret = input.confidential ? (input.secret ?? generateClientSecret()) : undefined;
    const timestamp = Date.now();
    await trx('oauth_clients').insert({
      client_id: input.clientId,
      secret_sha256: secret ? hashClientSecret(secret) : null,
      metadata: JSON.stringify({
        ...input.metadata,
        token_endpoint_auth_method: input.confidential
          ? (input.metadata.token_endpoint_auth_method ?? 'client_secret_basic')
          : 'none',
      }),
      created_at: timestamp,
      updated_at: timestamp,
    });
    await bumpRegistryVersion(trx);
    return { clientId: input.clientId, secret };
  });
}

/** Inserts or replaces a client with a known secret: used by seeds so a re-seed is idempotent. */
export async function putClient(
  db: Knex,
  input: { clientId: string; metadata: Omit<ClientMetadata, 'client_id'>; secret: string | undefined },
): Promise<void> {
  const timestamp = Date.now();
  await inTransaction(db, async (trx) => {
    await trx('oauth_clients')
      .insert({
        client_id: input.clientId,
        secret_sha256: input.secret ? hashClientSecret(input.secret) : null,
        metadata: JSON.stringify(input.metadata),
        created_at: timestamp,
        updated_at: timestamp,
      })
      .onConflict('client_id')
      .merge(['secret_sha256', 'metadata', 'updated_at']);
    await bumpRegistryVersion(trx);
  });
}

export async function listClients(db: Knex): Promise<ClientRecord[]> {
  const rows = await db<ClientRow>('oauth_clients').orderBy('client_id');
  return rows.map(toRecord);
}

export async function findClient(db: Knex, clientId: string): Promise<ClientRecord | undefined> {
  const row = await readClientRow(db, clientId);
  return row ? toRecord(row) : undefined;
}

/** Removes a client; returns false when there was none. */
export async function removeClient(db: Knex, clientId: string): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    const deleted = await trx('oauth_clients').where({ client_id: clientId }).delete();
    if (deleted > 0) await bumpRegistryVersion(trx);
    return deleted > 0;
  });
}

/** Replaces a confidential client's secret; the new secret is returned once. */
export async function rotateClientSecret(db: Knex, clientId: string): Promise<string | undefined> {
  return inTransaction(db, async (trx) => {
    const row = await readClientRow(trx, clientId);
    if (!row || row.secret_sha256 === null) return undefined;
    const secret = generateClientSecret();
    await trx('oauth_clients')
      .where({ client_id: clientId })
      .update({ secret_sha256: hashClientSecret(secret), updated_at: Date.now() });
    await bumpRegistryVersion(trx);
    return secret;
  });
}
