// What the CLI says about an unexpected database failure: the database's reason, without the SQL that
// knex writes in front of it (with placeholders, never the values: shared/database.ts); and the errors
// it prints by their message, which are ServiceErrors marked `expose`.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { AccountExistsError } from '../../broker/accounts/accountStore.ts';
import { AccountLinkError, AccountNotFoundError } from '../../broker/accounts/administration.ts';
import { CliError, failureReason } from '../../broker/cli/context.ts';
import { brokerMigrations, brokerMigrationTable } from '../../broker/migrations/index.ts';
import { ConfigError } from '../../shared/config.ts';
import { createDatabase, migrate } from '../../shared/database.ts';
import { isServiceError, type ServiceError } from '../../shared/errors.ts';
import { ClientExistsError } from '../../shared/oidc/clientStore.ts';

test('a database error is reported by its reason, without the query or its values', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'cqrs-cli-errors-'));
  const db = createDatabase({ sqliteFile: path.join(dir, 'broker.sqlite') });
  t.teardown(async () => {
    await db.destroy();
    await rm(dir, { recursive: true, force: true });
  });
  await migrate(db, brokerMigrations, brokerMigrationTable);
  const row = {
    id: 'x',
    email: 'private.person@nhs.net',
    given_name: 'P',
    family_name: 'P',
    status: 'active',
  };
  const insert = () => db('accounts').insert({ ...row, created_at: 1, updated_at: 1 });
  await insert();
  const error = await t.throwsAsync(insert());
  t.false(error?.message.includes('private.person@nhs.net'), 'knex names the query without its values');
  t.regex(error?.message ?? '', /^insert into `accounts` .* - SQLITE_CONSTRAINT/);
  t.is(failureReason(error), 'SQLITE_CONSTRAINT: UNIQUE constraint failed: accounts.email');
  t.is(failureReason(new Error('first line\nsecond line')), 'first line');
});

test('the errors an administrator can act on are exposed ServiceErrors with a stable code', (t) => {
  const cases: Array<[ServiceError, string, number]> = [
    [new CliError('bad option'), 'cli_refused', 400],
    [new ConfigError('BROKER_PORT: must be a port'), 'config_invalid', 500],
    [new AccountExistsError('an account for a@nhs.net already exists'), 'account_exists', 409],
    [new AccountNotFoundError('A@nhs.net'), 'account_not_found', 404],
    [new AccountLinkError('already linked'), 'account_link_conflict', 409],
    [new ClientExistsError('client x already exists'), 'client_exists', 409],
  ];
  for (const [error, code, status] of cases) {
    t.true(isServiceError(error), error.name);
    t.like(error, { code, status, expose: true }, error.name);
  }
  t.is(new AccountNotFoundError('A@NHS.net').message, 'no CQRS account for a@nhs.net');
});
