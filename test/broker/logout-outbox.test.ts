// The logout outbox shared by several broker instances: two instances polling at once never claim the
// same delivery (so an app is not told twice), on SQLite and on PostgreSQL; a claim runs out so that a
// delivery an instance dropped is taken by another.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import type { Knex } from 'knex';
import { brokerMigrations, brokerMigrationTable } from '../../broker/migrations/index.ts';
import { claimDueLogouts, enqueueLogouts, type LogoutDelivery } from '../../broker/logout/outbox.ts';
import { createDatabase, migrate } from '../../shared/database.ts';
import {
  createPostgresSchema,
  dropPostgresSchema,
  postgresRequired,
  postgresUrl,
} from '../helpers/postgres.ts';

// CI=true makes an unreachable PostgreSQL a failure; locally its test is reported as skipped.
const { run } = await postgresRequired();

const deliveries: LogoutDelivery[] = Array.from({ length: 40 }, (_unused, index) => ({
  clientId: `app-${index % 3}`,
  accountId: `account-${index}`,
  sid: `sid-${index}`,
  reason: 'suspended',
  correlationId: `correlation-${index}`,
}));

async function twoInstancesClaimOnce(t: ExecutionContext, first: Knex, second: Knex) {
  await migrate(first, brokerMigrations, brokerMigrationTable);
  await enqueueLogouts(first, deliveries);
  // Rounds of four concurrent polls, two per instance, until the outbox has nothing due.
  const claimedIds: number[] = [];
  for (let round = 0; round < 10; round += 1) {
    const claims = await Promise.all(
      [first, second, first, second].map((db) => claimDueLogouts(db, 25, 60_000)),
    );
    if (claims.flat().length === 0) break;
    claimedIds.push(...claims.flat().map((delivery) => delivery.id));
  }
  t.is(claimedIds.length, deliveries.length, 'every delivery claimed');
  t.is(new Set(claimedIds).size, claimedIds.length, 'none claimed twice');
  t.deepEqual(await claimDueLogouts(second, 25, 60_000), [], 'claimed rows are not due again');
}

test('two instances on one SQLite database never claim the same delivery', async (t) => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'cqrs-outbox-'));
  const options = { url: undefined, schema: undefined, sqliteFile: path.join(dataDir, 'broker.sqlite') };
  const [first, second] = [createDatabase(options), createDatabase(options)];
  t.teardown(async () => {
    await Promise.all([first.destroy(), second.destroy()]);
    await rm(dataDir, { recursive: true, force: true });
  });
  await twoInstancesClaimOnce(t, first, second);
});

test('a claim runs out, so another instance takes a delivery the first one dropped', async (t) => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'cqrs-outbox-'));
  const db = createDatabase({
    url: undefined,
    schema: undefined,
    sqliteFile: path.join(dataDir, 'broker.sqlite'),
  });
  t.teardown(async () => {
    await db.destroy();
    await rm(dataDir, { recursive: true, force: true });
  });
  await migrate(db, brokerMigrations, brokerMigrationTable);
  await enqueueLogouts(db, deliveries.slice(0, 1));
  const [dropped] = await claimDueLogouts(db, 10, 1);
  t.is(dropped?.attempt, 1);
  await new Promise((resolve) => setTimeout(resolve, 20));
  const [taken] = await claimDueLogouts(db, 10, 60_000);
  t.is(taken?.id, dropped?.id);
  t.is(taken?.attempt, 2, 'the dropped attempt counts');
});

(run ? test : test.skip)(
  'two instances on one PostgreSQL database never claim the same delivery',
  async (t) => {
    const schema = await createPostgresSchema(postgresUrl);
    const options = { url: postgresUrl, schema, sqliteFile: '' };
    const [first, second] = [createDatabase(options), createDatabase(options)];
    t.teardown(async () => {
      await Promise.all([first.destroy(), second.destroy()]);
      await dropPostgresSchema(postgresUrl, schema);
    });
    await twoInstancesClaimOnce(t, first, second);
  },
);
