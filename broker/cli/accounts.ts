// `cqrs-broker accounts …`: who may sign in to CQRS. add, list, show, suspend (which also ends the
// account's sessions and tokens), activate, link, unlink; import and export live in accountsCsv.ts.
import { type Command, Option } from 'commander';
import { parseAccountInput } from '../accounts/accountInput.ts';
import { AccountStore, accountStatuses, type CqrsAccount } from '../accounts/accountStore.ts';
import { AccountAdministration } from '../accounts/administration.ts';
import { registerAccountCsvCommands } from './accountsCsv.ts';
import { CliError, collect, withBroker } from './context.ts';
import { decodeOrganisation } from './csv.ts';
import { formatTime, isoTime, print, printFields, printJson, printTable } from './output.ts';

function accountJson(account: CqrsAccount) {
  return { ...account, linkedAt: isoTime(account.linkedAt) };
}

function describeLink(account: CqrsAccount): string {
  if (account.upstreamOid === null) return 'not linked (the next NHSmail sign-in with this email links it)';
  return `tenant ${account.upstreamTid}, object ${account.upstreamOid} (since ${formatTime(account.linkedAt)})`;
}

function showAccount(account: CqrsAccount): void {
  printFields([
    ['Email', account.email],
    ['Name', `${account.givenName} ${account.familyName}`],
    ['Status', account.status],
    ['Account id', account.id],
    ['NHSmail link', describeLink(account)],
  ]);
  print();
  printTable(
    ['ODS code', 'Organisation', 'Type', 'Roles'],
    account.organisations.map((organisation) => [
      organisation.odsCode,
      organisation.name,
      organisation.type,
      organisation.roles.join(', '),
    ]),
    'No organisations.',
  );
}

export function registerAccountCommands(program: Command): void {
  const accounts = program
    .command('accounts')
    .description('CQRS accounts: who may sign in, with which organisations');

  accounts
    .command('add')
    .description('create an active CQRS account')
    .argument('<email>', "the user's NHSmail address")
    .requiredOption('--given-name <name>', 'given name')
    .requiredOption('--family-name <name>', 'family name')
    .option(
      '--organisation <ODS:name:type:roles>',
      'an organisation and the comma-separated CQRS roles in it, e.g. "A81001:The Densham Surgery:gp_practice:practice_user" (repeatable)',
      collect,
      [],
    )
    .action(
      async (email: string, options: { givenName: string; familyName: string; organisation: string[] }) => {
        const organisations = options.organisation.map((text) => {
          const decoded = decodeOrganisation(text, ':');
          if ('error' in decoded) throw new CliError(`--organisation ${decoded.error}`);
          return decoded;
        });
        const input = parseAccountInput({
          email,
          givenName: options.givenName,
          familyName: options.familyName,
          organisations,
        });
        if (!input.ok) throw new CliError(input.reason);
        await withBroker(async ({ db, actor }) => {
          const account = await new AccountAdministration(db, actor).create(input.account);
          print(
            `Created CQRS account ${account.email} (${account.givenName} ${account.familyName}, ` +
              `${account.organisations.length} organisation(s)); account id ${account.id}.`,
          );
        });
      },
    );

  accounts
    .command('list')
    .description('list CQRS accounts')
    .addOption(new Option('--status <status>', 'only accounts with this status').choices(accountStatuses))
    .option('--json', 'print JSON')
    .action(async (options: { status?: 'active' | 'suspended'; json?: boolean }) => {
      await withBroker(async ({ db }) => {
        const list = await new AccountStore(db).list(options.status ? { status: options.status } : {});
        if (options.json) return printJson(list.map(accountJson));
        printTable(
          ['Email', 'Name', 'Status', 'Linked', 'Organisations'],
          list.map((account) => [
            account.email,
            `${account.givenName} ${account.familyName}`,
            account.status,
            account.upstreamOid === null ? 'no' : 'yes',
            account.organisations.map((organisation) => organisation.odsCode).join(', '),
          ]),
          options.status ? `No ${options.status} accounts.` : 'No accounts.',
        );
      });
    });

  accounts
    .command('show')
    .description('show one account: status, NHSmail link, organisations and roles')
    .argument('<email>')
    .option('--json', 'print JSON')
    .action(async (email: string, options: { json?: boolean }) => {
      await withBroker(async ({ db, actor }) => {
        const account = await new AccountAdministration(db, actor).find(email);
        if (options.json) printJson(accountJson(account));
        else showAccount(account);
      });
    });

  accounts
    .command('suspend')
    .description('suspend an account and end its sessions, grants and tokens at once')
    .argument('<email>')
    .action(async (email: string) => {
      await withBroker(async ({ db, actor }) => {
        const { account, wasActive, endedTokens } = await new AccountAdministration(db, actor).suspend(email);
        const ended = `ended ${endedTokens} session(s), grant(s) and token(s)`;
        print(
          wasActive
            ? `Suspended ${account.email}; ${ended}.`
            : `${account.email} was already suspended; ${ended}.`,
        );
      });
    });

  accounts
    .command('activate')
    .description('let a suspended account sign in again')
    .argument('<email>')
    .action(async (email: string) => {
      await withBroker(async ({ db, actor }) => {
        const { account, wasSuspended } = await new AccountAdministration(db, actor).activate(email);
        print(wasSuspended ? `Activated ${account.email}.` : `${account.email} is already active.`);
      });
    });

  accounts
    .command('link')
    .description('link an account to an NHSmail identity by hand (normally the first sign-in does this)')
    .argument('<email>')
    .requiredOption('--object-id <oid>', "the NHSmail (Entra) object id, the id_token's oid claim")
    .option('--tenant-id <tid>', 'the NHSmail tenant id (default: UPSTREAM_TENANT_ID)')
    .action(async (email: string, options: { objectId: string; tenantId?: string }) => {
      const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
      if (!guid.test(options.objectId)) throw new CliError('--object-id must be a GUID');
      if (options.tenantId !== undefined && !guid.test(options.tenantId))
        throw new CliError('--tenant-id must be a GUID');
      await withBroker(async ({ db, actor, config }) => {
        const tenantId = (options.tenantId ?? config.upstream.tenantId).toLowerCase();
        const account = await new AccountAdministration(db, actor).link(
          email,
          tenantId,
          options.objectId.toLowerCase(),
        );
        print(`Linked ${account.email} to ${describeLink({ ...account, linkedAt: Date.now() })}.`);
      });
    });

  accounts
    .command('unlink')
    .description("clear the account's NHSmail link, so that the next sign-in with its email links again")
    .argument('<email>')
    .action(async (email: string) => {
      await withBroker(async ({ db, actor }) => {
        const { account, wasLinked } = await new AccountAdministration(db, actor).unlink(email);
        print(
          wasLinked
            ? `Unlinked ${account.email}; the next NHSmail sign-in with this email links it again.`
            : `${account.email} is not linked; nothing to do.`,
        );
      });
    });

  registerAccountCsvCommands(accounts);
}
