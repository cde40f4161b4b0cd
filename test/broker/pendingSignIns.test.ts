// The pending-sign-in store on SQLite and PostgreSQL: `take` hands a sign-in to exactly one of many
// simultaneous callbacks, never an expired one, and `sweep` removes abandoned rows in bulk. Then, over
// HTTP: a replayed or forged callback is refused as state_unknown.
import test from 'ava';
import type { Knex } from 'knex';
import { createPendingSignInStore } from '../../broker/interactions/pendingSignIns.ts';
import { brokerMigrations, brokerMigrationTable } from '../../broker/migrations/index.ts';
import { seededPassword } from '../../seeds/personas.ts';
import { migrate } from '../../shared/database.ts';
import { openNhsmailSignIn } from '../helpers/flows.ts';
import { HttpSession, type Page } from '../helpers/httpSession.ts';
import { postgresRequired, scratchDatabase } from '../helpers/postgres.ts';
import { startSystem } from '../helpers/system.ts';

const postgresCheck = await postgresRequired();

async function openBackend(backend: 'sqlite' | 'postgres'): Promise<{ db: Knex; dispose(): Promise<void> }> {
  const scratch = await scratchDatabase(backend);
  await migrate(scratch.db, brokerMigrations, brokerMigrationTable);
  return scratch;
}

for (const backend of ['sqlite', 'postgres'] as const) {
  const available = backend === 'sqlite' || postgresCheck.run;
  (available ? test : test.skip)(
    `${backend}: of twenty simultaneous takes exactly one gets the sign-in`,
    async (t) => {
      const { db, dispose } = await openBackend(backend);
      t.teardown(dispose);
      const store = createPendingSignInStore(db);
      const connectorData = { nonce: 'n', codeVerifier: 'v', nested: { kept: [1, 2] } };
      await store.save({ state: 'uid-1.abc', interactionUid: 'uid-1', connectorData });
      const taken = await Promise.all(Array.from({ length: 20 }, () => store.take('uid-1.abc')));
      const winners = taken.filter((pending) => pending !== undefined);
      t.is(winners.length, 1);
      t.deepEqual(winners[0], { state: 'uid-1.abc', interactionUid: 'uid-1', connectorData });
      t.is(await store.take('unknown'), undefined);
    },
  );

  (available ? test : test.skip)(
    `${backend}: an expired sign-in is never taken, and sweep removes it`,
    async (t) => {
      const { db, dispose } = await openBackend(backend);
      t.teardown(dispose);
      const expired = createPendingSignInStore(db, { lifetimeMs: -1000 });
      await expired.save({ state: 'old.1', interactionUid: 'old', connectorData: {} });
      await expired.save({ state: 'old.2', interactionUid: 'old', connectorData: {} });
      const live = createPendingSignInStore(db);
      await live.save({ state: 'new.1', interactionUid: 'new', connectorData: {} });
      t.is(await live.take('old.1'), undefined);
      t.is(await live.sweep(), 1, 'old.2 swept; old.1 went with its take');
      t.deepEqual(await db('pending_sign_ins').pluck('state'), ['new.1']);
    },
  );
}

test('a replayed callback and a forged state are refused as state_unknown', async (t) => {
  const system = await startSystem();
  t.teardown(() => system.close());
  const session = new HttpSession();
  const { page } = await openNhsmailSignIn(system, session);
  let response: Page = await session.submit(
    page,
    'form:has(input[name=password])',
    { username: 'jane.smith@nhs.net', password: seededPassword },
    { follow: false },
  );
  while (!response.url.startsWith(`${system.brokerUrl}/upstream/callback`)) {
    const location = response.headers.get('location');
    if (!location) return t.fail(`no upstream callback; stopped at ${response.url}`);
    response = await session.get(new URL(location, response.url).href, { follow: false });
  }
  const callback = response.url;
  t.is((await session.get(callback)).url, `${system.appUrl}/messages`);
  for (const url of [callback, `${system.brokerUrl}/upstream/callback?code=x&state=forged`]) {
    const refused = await session.get(url);
    t.is(refused.status, 400, url);
    t.is(refused.$('h1').first().text().trim(), 'Authentication Error');
    const correlationId = refused.$('[data-testid=correlation-id]').text().trim();
    const [event] = await system.broker.audit.recent({ limit: 1, correlationId });
    t.is(event?.outcome, 'state_unknown');
  }
});
