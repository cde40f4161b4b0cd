// Account administration in-process: each change and its audit event commit together or not at all,
// so an imported row that fails half-way leaves no trace.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import type { Knex } from 'knex';
import { AccountAdministration } from '../../broker/accounts/administration.ts';
import { brokerMigrations, brokerMigrationTable } from '../../broker/migrations/index.ts';
import { createDatabase, migrate } from '../../shared/database.ts';

async function openBroker(t: { teardown(fn: () => Promise<void>): void }): Promise<Knex> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cqrs-accounts-'));
  const db = createDatabase({ sqliteFile: path.join(dir, 'broker.sqlite') });
  t.teardown(async () => {
    await db.destroy();
    await rm(dir, { recursive: true, force: true });
  });
  await migrate(db, brokerMigrations, brokerMigrationTable);
  return db;
}

const count = async (db: Knex, table: string) => Number((await db(table).count({ n: '*' }).first())?.n);

test('an import row that fails after its account insert leaves no account, organisation or audit event', async (t) => {
  const db = await openBroker(t);
  const administration = new AccountAdministration(db, 'tester');
  // The same ODS code twice passes the account insert and then breaks the organisations' primary key.
  // (Validation refuses this earlier in the CLI; here it stands for any failure part-way through a row.)
  const practice = { odsCode: 'A81001', name: 'Densham', type: 'gp_practice', roles: ['practice_user'] };
  await t.throwsAsync(
    administration.importAccount(
      { email: 'half@nhs.net', givenName: 'Half', familyName: 'Done', organisations: [practice, practice] },
      'test.csv',
    ),
  );
  t.is(await count(db, 'accounts'), 0);
  t.is(await count(db, 'account_organisations'), 0);
  t.is(await count(db, 'audit_events'), 0);

  const { outcome } = await administration.importAccount(
    { email: 'whole@nhs.net', givenName: 'Whole', familyName: 'Row', organisations: [practice] },
    'test.csv',
  );
  t.is(outcome, 'created', 'the next row imports normally');
  t.is(await count(db, 'audit_events'), 1);
});

test('an import row identical to the stored account writes nothing, in any organisation order', async (t) => {
  const db = await openBroker(t);
  const administration = new AccountAdministration(db, 'tester');
  const organisations = [
    { odsCode: 'QE1', name: 'ICB', type: 'icb', roles: ['commissioner'] },
    { odsCode: 'A81001', name: 'Densham', type: 'gp_practice', roles: ['practice_user'] },
  ];
  const input = { email: 'same@nhs.net', givenName: 'Same', familyName: 'Row', organisations };
  t.is((await administration.importAccount(input, 'a.csv')).outcome, 'created');
  const before = await db('accounts').where({ email: 'same@nhs.net' }).first();
  const again = await administration.importAccount(
    { ...input, organisations: [...organisations].reverse() },
    'a.csv',
  );
  t.is(again.outcome, 'unchanged');
  t.deepEqual(await db('accounts').where({ email: 'same@nhs.net' }).first(), before);
  t.is(await count(db, 'audit_events'), 1);
  const changed = await administration.importAccount({ ...input, familyName: 'Changed' }, 'a.csv');
  t.is(changed.outcome, 'updated');
  t.is(changed.account.id, before.id, 'an update keeps the account id (the sub apps know)');
});
