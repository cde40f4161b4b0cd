// The pending-sign-in store on SQLite and PostgreSQL: a pending sign-in is kept on its interaction's
// row; `take` hands it to exactly one of many simultaneous callbacks, never an expired or replaced
// one, and abandoned ones go with their interaction in the expiry sweep. Within a request, saving goes
// out with the interaction in one statement and taking answers the interaction too. Then, over HTTP:
// a replayed or forged callback is refused as state_unknown.
import test, { type ExecutionContext } from 'ava';
import type { Knex } from 'knex';
import { createPendingSignInStore } from '../../broker/interactions/pendingSignIns.ts';
import { brokerMigrations, brokerMigrationTable } from '../../broker/migrations/index.ts';
import { seededPassword } from '../../seeds/personas.ts';
import { migrate, statementsExecuted } from '../../shared/database.ts';
import { createKnexAdapter, deleteExpiredPayloads } from '../../shared/oidc/knexAdapter.ts';
import { withRequestScope } from '../../shared/oidc/requestScope.ts';
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

/** Stores an interaction as oidc-provider's authorization endpoint does. */
async function saveInteraction(db: Knex, uid: string, expiresIn = 3600): Promise<void> {
  const interactions = new (createKnexAdapter(db))('Interaction');
  await interactions.upsert(uid, { jti: uid, kind: 'Interaction', returnTo: `/auth/${uid}` }, expiresIn);
}

for (const backend of ['sqlite', 'postgres'] as const) {
  const available = backend === 'sqlite' || postgresCheck.run;
  const backendTest = (title: string, body: (t: ExecutionContext) => Promise<void>) =>
    (available ? test : test.skip)(`${backend}: ${title}`, body);

  backendTest('of twenty simultaneous takes exactly one gets the sign-in', async (t) => {
    const { db, dispose } = await openBackend(backend);
    t.teardown(dispose);
    const store = createPendingSignInStore(db);
    const connectorData = { nonce: 'n', codeVerifier: 'v', nested: { kept: [1, 2] } };
    await saveInteraction(db, 'uid-1');
    t.true(await store.save({ state: 'uid-1.abc', interactionUid: 'uid-1', connectorData }));
    const taken = await Promise.all(Array.from({ length: 20 }, () => store.take('uid-1.abc')));
    const winners = taken.filter((pending) => pending !== undefined);
    t.is(winners.length, 1);
    t.deepEqual(winners[0], { state: 'uid-1.abc', interactionUid: 'uid-1', connectorData });
    t.is(await store.take('unknown'), undefined);
    t.is(await store.take('uid-1.forged'), undefined);
  });

  backendTest('an expired sign-in is never taken; a retry replaces the earlier one', async (t) => {
    const { db, dispose } = await openBackend(backend);
    t.teardown(dispose);
    await saveInteraction(db, 'old');
    await createPendingSignInStore(db, { lifetimeMs: -1000 }).save({
      state: 'old.1',
      interactionUid: 'old',
      connectorData: {},
    });
    const store = createPendingSignInStore(db);
    t.is(await store.take('old.1'), undefined, 'expired');
    await saveInteraction(db, 'retried');
    await store.save({ state: 'retried.1', interactionUid: 'retried', connectorData: { attempt: 1 } });
    await store.save({ state: 'retried.2', interactionUid: 'retried', connectorData: { attempt: 2 } });
    t.is(await store.take('retried.1'), undefined, 'the earlier attempt is refused');
    t.like(await store.take('retried.2'), { connectorData: { attempt: 2 } });
    t.false(
      await store.save({ state: 'gone.1', interactionUid: 'gone', connectorData: {} }),
      'no interaction, nothing saved',
    );
  });

  backendTest('abandoned sign-ins go with their interaction in the expiry sweep', async (t) => {
    const { db, dispose } = await openBackend(backend);
    t.teardown(dispose);
    const store = createPendingSignInStore(db);
    await saveInteraction(db, 'abandoned', 1);
    await store.save({ state: 'abandoned.1', interactionUid: 'abandoned', connectorData: {} });
    await saveInteraction(db, 'live');
    await store.save({ state: 'live.1', interactionUid: 'live', connectorData: {} });
    await db('oidc_interactions')
      .where({ id: 'abandoned' })
      .update({ expires_at: Date.now() - 1 });
    t.true((await deleteExpiredPayloads(db)) >= 1);
    t.deepEqual(await db('oidc_interactions').whereNotNull('pending_key').pluck('pending_key'), ['live.1']);
  });

  backendTest('in a request, the save goes out with the interaction and the take reads it', async (t) => {
    const { db, dispose } = await openBackend(backend);
    t.teardown(dispose);
    const store = createPendingSignInStore(db);
    const interactions = new (createKnexAdapter(db))('Interaction');
    let before = statementsExecuted(db);
    // The authorization endpoint: oidc-provider saves the interaction, the broker its pending sign-in.
    await withRequestScope(async () => {
      await saveInteraction(db, 'uid-2');
      await store.save({ state: 'uid-2.xyz', interactionUid: 'uid-2', connectorData: { nonce: 'n2' } });
    });
    t.is(statementsExecuted(db) - before, 1, 'one statement for both');
    // The callback: the take answers the interaction, which the request then reads for nothing.
    before = statementsExecuted(db);
    await withRequestScope(async () => {
      t.like(await store.take('uid-2.xyz'), { connectorData: { nonce: 'n2' } });
      t.like(await interactions.find('uid-2'), { jti: 'uid-2', returnTo: '/auth/uid-2' });
    });
    t.is(statementsExecuted(db) - before, 1, 'one statement for the take and the read');
    t.is(await store.take('uid-2.xyz'), undefined, 'taken once');
  });
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
  // Up to NHSmail's redirect to the callback, which is not followed yet.
  let callback = '';
  while (!callback.startsWith(`${system.brokerUrl}/upstream/callback`)) {
    const location = response.headers.get('location');
    if (!location) return t.fail(`no upstream callback; stopped at ${response.url}`);
    callback = new URL(location, response.url).href;
    if (!callback.startsWith(`${system.brokerUrl}/upstream/callback`))
      response = await session.get(callback, { follow: false });
  }
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
