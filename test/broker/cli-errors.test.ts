// What the CLI says about an unexpected database failure: the database's reason, without the SQL and
// the values (personal data, digests) that knex writes in front of it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { failureReason } from '../../broker/cli/context.ts';
import { brokerMigrations, brokerMigrationTable } from '../../broker/migrations/index.ts';
import { createDatabase, migrate } from '../../shared/database.ts';

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
  t.true(error?.message.includes('private.person@nhs.net'), 'knex puts the values in the message');
  t.is(failureReason(error), 'SQLITE_CONSTRAINT: UNIQUE constraint failed: accounts.email');
  t.is(failureReason(new Error('first line\nsecond line')), 'first line');
});
