// One conformance suite for the oidc-provider knex adapter, run on SQLite and on PostgreSQL: expiry is
// honoured, consume is atomic, lookups by uid/user code and revocation by grant behave alike, and a
// payload reads back whole though its row stores less.
import test, { type ExecutionContext } from 'ava';
import type { Knex } from 'knex';
import { isPostgres, migrate, statementsExecuted } from '../../shared/database.ts';
import { putClient } from '../../shared/oidc/clientStore.ts';
import {
  accountReadWithClaim,
  createKnexAdapter,
  deleteExpiredPayloads,
} from '../../shared/oidc/knexAdapter.ts';
import {
  clientRegistryVersionMigration,
  oidcInteractionsMigration,
  oidcPayloadOwnersMigration,
  oidcPayloadPartialIndexesMigration,
  oidcStorageMigration,
} from '../../shared/oidc/migration.ts';
import { withRequestScope } from '../../shared/oidc/requestScope.ts';
import { postgresRequired, scratchDatabase } from '../helpers/postgres.ts';

interface Backend {
  name: string;
  available: boolean;
  open(): Promise<{ db: Knex; dispose(): Promise<void> }>;
}

// Decided before tests register, so that a local run without PostgreSQL reports them as skipped.
// In CI (CI=true) postgresRequired() throws instead: the PostgreSQL run is never silently skipped.
const postgresCheck = await postgresRequired();

const sqlite: Backend = { name: 'sqlite', available: true, open: () => scratchDatabase('sqlite') };
const postgres: Backend = {
  name: 'postgres',
  available: postgresCheck.run,
  open: () => scratchDatabase('postgres'),
};

function conformance(backend: Backend) {
  const name = (title: string) => `${backend.name}: ${title}`;
  let db: Knex;
  let dispose: (() => Promise<void>) | undefined;

  test.before(async () => {
    if (!backend.available) return;
    ({ db, dispose } = await backend.open());
    await migrate(
      db,
      [
        oidcStorageMigration,
        oidcPayloadOwnersMigration,
        clientRegistryVersionMigration,
        oidcPayloadPartialIndexesMigration,
        oidcInteractionsMigration,
      ],
      'adapter_test_migrations',
    );
  });
  test.after.always(async () => {
    await dispose?.();
  });

  const adapter = (model: string) => new (createKnexAdapter(db))(model);
  const conformanceTest = (title: string, body: (t: ExecutionContext) => Promise<void>) =>
    (backend.available ? test.serial : test.serial.skip)(name(title), body);

  conformanceTest('upsert then find returns the payload; a second upsert replaces it', async (t) => {
    const sessions = adapter('Session');
    await sessions.upsert('s1', { accountId: 'a1', uid: 'uid-1', jti: 's1' }, 60);
    t.like(await sessions.find('s1'), { accountId: 'a1', uid: 'uid-1' });
    await sessions.upsert('s1', { accountId: 'a2', uid: 'uid-1', jti: 's1' }, 60);
    t.like(await sessions.find('s1'), { accountId: 'a2' });
    t.is(await adapter('AccessToken').find('s1'), undefined, 'models do not see each other');
  });

  conformanceTest('expired payloads are not found and are swept', async (t) => {
    const codes = adapter('AuthorizationCode');
    await codes.upsert('c-expired', { grantId: 'g', jti: 'c-expired' }, 60);
    await db('oidc_payloads')
      .where({ id: 'c-expired' })
      .update({ expires_at: Date.now() - 1000 });
    t.is(await codes.find('c-expired'), undefined);
    t.true((await deleteExpiredPayloads(db)) >= 1);
    t.is(await db('oidc_payloads').where({ id: 'c-expired' }).first(), undefined);
  });

  conformanceTest('lookups by uid and by user code', async (t) => {
    const sessions = adapter('Session');
    await sessions.upsert('s-uid', { uid: 'the-uid', jti: 's-uid' }, 60);
    t.like(await sessions.findByUid('the-uid'), { jti: 's-uid' });
    const deviceCodes = adapter('DeviceCode');
    await deviceCodes.upsert('d1', { userCode: 'ABCD-EFGH', jti: 'd1' }, 60);
    t.like(await deviceCodes.findByUserCode('ABCD-EFGH'), { jti: 'd1' });
    t.is(await sessions.findByUid('no-such-uid'), undefined);
  });

  conformanceTest('consume marks the payload consumed and refuses a second consume', async (t) => {
    const codes = adapter('AuthorizationCode');
    await codes.upsert('c1', { grantId: 'g1', jti: 'c1' }, 60);
    await codes.consume('c1');
    const found = await codes.find('c1');
    t.is(typeof found?.consumed, 'number');
    const error = await t.throwsAsync(() => codes.consume('c1'));
    t.is((error as { error?: string }).error, 'invalid_grant');
  });

  conformanceTest('consume is atomic: of twenty racing consumes exactly one wins', async (t) => {
    const tokens = adapter('RefreshToken');
    await tokens.upsert('r-race', { grantId: 'g-race', jti: 'r-race' }, 60);
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => tokens.consume('r-race')));
    t.is(results.filter((result) => result.status === 'fulfilled').length, 1);
  });

  conformanceTest('losing a consume race revokes every payload of the grant', async (t) => {
    await adapter('AuthorizationCode').upsert('c-race', { grantId: 'g-reused', jti: 'c-race' }, 60);
    await adapter('AccessToken').upsert('at-reused', { grantId: 'g-reused', jti: 'at-reused' }, 60);
    await adapter('AccessToken').upsert('at-other', { grantId: 'g-other', jti: 'at-other' }, 60);
    const results = await Promise.allSettled([
      adapter('AuthorizationCode').consume('c-race'),
      adapter('AuthorizationCode').consume('c-race'),
    ]);
    t.is(results.filter((result) => result.status === 'rejected').length, 1);
    t.is(await adapter('AccessToken').find('at-reused'), undefined);
    t.truthy(await adapter('AccessToken').find('at-other'));
  });

  conformanceTest('a token stored after a lost consume race is refused: order does not matter', async (t) => {
    await adapter('Grant').upsert('g-late', { accountId: 'a', jti: 'g-late' }, 60);
    await adapter('AuthorizationCode').upsert('c-late', { grantId: 'g-late', jti: 'c-late' }, 60);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => adapter('AuthorizationCode').consume('c-late')),
    );
    t.is(results.filter((result) => result.status === 'fulfilled').length, 1);
    // The winner goes on to store its tokens after the losers revoked the grant.
    await adapter('AccessToken').upsert('at-late', { grantId: 'g-late', jti: 'at-late' }, 60);
    await adapter('RefreshToken').upsert('rt-late', { grantId: 'g-late', jti: 'rt-late' }, 60);
    t.is(await adapter('AccessToken').find('at-late'), undefined);
    t.is(await adapter('RefreshToken').find('rt-late'), undefined);
    t.is(await adapter('Grant').find('g-late'), undefined);
    t.is(await adapter('AuthorizationCode').find('c-late'), undefined);
  });

  conformanceTest('tokens stored while a reuse is revoking the grant are refused', async (t) => {
    await adapter('AuthorizationCode').upsert('c-mid', { grantId: 'g-mid', jti: 'c-mid' }, 60);
    await adapter('AuthorizationCode').consume('c-mid');
    // The winner's token writes and the loser's consume race each other.
    const writes = Array.from({ length: 10 }, (_, index) =>
      adapter('AccessToken').upsert(`at-mid-${index}`, { grantId: 'g-mid', jti: `at-mid-${index}` }, 60),
    );
    const [lost] = await Promise.allSettled([adapter('AuthorizationCode').consume('c-mid'), ...writes]);
    t.is(lost?.status, 'rejected');
    for (let index = 0; index < 10; index += 1)
      t.is(await adapter('AccessToken').find(`at-mid-${index}`), undefined, `at-mid-${index}`);
  });

  conformanceTest('destroy and revokeByGrantId remove only what they name', async (t) => {
    const accessTokens = adapter('AccessToken');
    await accessTokens.upsert('at1', { grantId: 'grant-a', jti: 'at1' }, 60);
    await accessTokens.upsert('at2', { grantId: 'grant-a', jti: 'at2' }, 60);
    await accessTokens.upsert('at3', { grantId: 'grant-b', jti: 'at3' }, 60);
    await adapter('RefreshToken').upsert('rt1', { grantId: 'grant-a', jti: 'rt1' }, 60);
    await accessTokens.destroy('at1');
    t.is(await accessTokens.find('at1'), undefined);
    await accessTokens.revokeByGrantId('grant-a');
    t.is(await accessTokens.find('at2'), undefined);
    t.truthy(await accessTokens.find('at3'));
    t.truthy(await adapter('RefreshToken').find('rt1'), 'another model keeps its rows');
  });

  conformanceTest('interactions are stored, found, swept and destroyed like any payload', async (t) => {
    const interactions = adapter('Interaction');
    const payload = {
      iat: 1,
      exp: 2,
      jti: 'i1',
      kind: 'Interaction',
      grantId: 'g-interaction',
      params: { client_id: 'app' },
    };
    await interactions.upsert('i1', payload, 60);
    t.deepEqual(await interactions.find('i1'), payload);
    t.is(await adapter('Session').find('i1'), undefined, 'models do not see each other');
    await interactions.upsert('i-expired', { jti: 'i-expired' }, 60);
    await db('oidc_interactions')
      .where({ id: 'i-expired' })
      .update({ expires_at: Date.now() - 1000 });
    t.is(await interactions.find('i-expired'), undefined);
    t.true((await deleteExpiredPayloads(db)) >= 1);
    t.is(await db('oidc_interactions').where({ id: 'i-expired' }).first(), undefined);
    await interactions.destroy('i1');
    t.is(await interactions.find('i1'), undefined);
  });

  conformanceTest('a token is stored without what its row holds and read back whole', async (t) => {
    const payload = {
      iat: 1,
      exp: 2,
      jti: 'at-whole',
      kind: 'AccessToken',
      accountId: 'a-whole',
      clientId: 'app-whole',
      grantId: 'g-whole',
      scope: 'openid',
    };
    await adapter('AccessToken').upsert('at-whole', payload, 60);
    t.deepEqual(await adapter('AccessToken').find('at-whole'), payload);
    const row = await db('oidc_payloads').where({ model: 'AccessToken', id: 'at-whole' }).first();
    // The row holds the id, model and grant; the longest names are stored under short aliases.
    t.deepEqual(JSON.parse(row.payload), {
      iat: 1,
      exp: 2,
      '~a': 'a-whole',
      '~c': 'app-whole',
      scope: 'openid',
    });
    t.like(row, { grant_id: 'g-whole', account_id: null, client_id: null });
    const grant = { jti: 'g-whole', kind: 'Grant', accountId: 'a-whole', clientId: 'app-whole' };
    await adapter('Grant').upsert('g-whole', grant, 60);
    t.deepEqual(await adapter('Grant').find('g-whole'), grant);
    t.like(await db('oidc_payloads').where({ model: 'Grant', id: 'g-whole' }).first(), {
      grant_id: 'g-whole',
      account_id: 'a-whole',
      client_id: 'app-whole',
    });
    const session = { jti: 's-whole', kind: 'Session', uid: 'uid-whole', accountId: 'a-whole', exp: 3 };
    await adapter('Session').upsert('s-whole', session, 60);
    t.deepEqual(await adapter('Session').find('s-whole'), session);
    t.deepEqual(await adapter('Session').findByUid('uid-whole'), session);
    const sessionRow = await db('oidc_payloads').where({ model: 'Session', id: 's-whole' }).first();
    t.deepEqual(JSON.parse(sessionRow.payload), { accountId: 'a-whole', exp: 3 }, 'the uid is its column');
    t.is(sessionRow.uid, 'uid-whole');
  });

  conformanceTest(
    'a code stored with short names reads back whole, and so does one stored before',
    async (t) => {
      const code = {
        iat: 1,
        exp: 2,
        jti: 'c-short',
        kind: 'AuthorizationCode',
        accountId: 'a-1',
        clientId: 'app-1',
        grantId: 'g-1',
        sessionUid: 'su-1',
        expiresWithSession: true,
        authTime: 1,
        codeChallenge: 'challenge',
        codeChallengeMethod: 'S256',
        redirectUri: 'https://app.example/cb',
        nonce: 'n',
        scope: 'openid',
      };
      await adapter('AuthorizationCode').upsert('c-short', code, 60);
      t.deepEqual(await adapter('AuthorizationCode').find('c-short'), code);
      const row = await db('oidc_payloads').where({ model: 'AuthorizationCode', id: 'c-short' }).first();
      t.false(row.payload.includes('codeChallengeMethod'), row.payload);
      t.true(row.payload.length < JSON.stringify(code).length - 100, row.payload);
      // A row written with the full names (as before) reads the same.
      await db('oidc_payloads')
        .where({ model: 'AuthorizationCode', id: 'c-short' })
        .update({ payload: JSON.stringify({ ...code, grantId: undefined }) });
      t.deepEqual(await adapter('AuthorizationCode').find('c-short'), code);
    },
  );

  conformanceTest('a payload without expiry never expires', async (t) => {
    const grants = adapter('Grant');
    await grants.upsert('g-forever', { accountId: 'a', jti: 'g-forever' }, 0);
    t.truthy(await grants.find('g-forever'));
  });

  conformanceTest('within a request, payload writes are held and stored together when it ends', async (t) => {
    const stored = () => db('oidc_payloads').whereIn('id', ['s-held', 'g-held', 'c-held']).pluck('id');
    const before = statementsExecuted(db);
    await withRequestScope(async () => {
      await adapter('Session').upsert('s-held', { accountId: 'a', uid: 'u-held', jti: 's-held' }, 60);
      await adapter('Grant').upsert('g-held', { accountId: 'a', clientId: 'app', jti: 'g-held' }, 60);
      await adapter('AuthorizationCode').upsert('c-held', { grantId: 'g-held', jti: 'c-held' }, 60);
      t.deepEqual(await stored(), [], 'nothing is stored while the request runs');
    });
    const saves = statementsExecuted(db) - before - 1;
    t.deepEqual((await stored()).sort(), ['c-held', 'g-held', 's-held']);
    t.is(saves, 1, 'the three saves are one statement');
    t.like(await adapter('Grant').find('g-held'), { accountId: 'a', clientId: 'app' });
  });

  conformanceTest('within a request, a read sees the writes the request holds', async (t) => {
    await withRequestScope(async () => {
      await adapter('Session').upsert('s-own', { accountId: 'a', uid: 'u-own', jti: 's-own' }, 60);
      t.like(await adapter('Session').findByUid('u-own'), { jti: 's-own', accountId: 'a' });
      await adapter('Session').upsert('s-own', { accountId: 'b', uid: 'u-own', jti: 's-own' }, 60);
    });
    t.like(await adapter('Session').find('s-own'), { accountId: 'b' }, 'the last save wins');
  });

  conformanceTest('a request that throws stores none of the writes it held', async (t) => {
    await t.throwsAsync(
      withRequestScope(async () => {
        await adapter('AccessToken').upsert('at-dropped', { grantId: 'g', jti: 'at-dropped' }, 60);
        throw new Error('handler failed');
      }),
      { message: 'handler failed' },
    );
    t.is(await adapter('AccessToken').find('at-dropped'), undefined);
  });

  /** A token request of client `app` as oidc-provider's router has taken it (requestScope.ts). */
  const tokenRequest = (params: Record<string, string>, clientId = 'app') => ({
    oidc: { route: 'token', params, client: { clientId } },
  });
  const codeRedemption = tokenRequest({ grant_type: 'authorization_code' });

  conformanceTest('the token endpoint consumes a code with its read, once', async (t) => {
    const codes = adapter('AuthorizationCode');
    await codes.upsert('c-taken', { grantId: 'g-taken', clientId: 'app', jti: 'c-taken' }, 60);
    await withRequestScope(async () => {
      const code = await codes.find('c-taken');
      t.like(code, { jti: 'c-taken', grantId: 'g-taken' });
      t.is(code?.consumed, undefined, 'the first request sees it unconsumed');
      await codes.consume('c-taken');
    }, codeRedemption);
    const stored = await db('oidc_payloads').where({ id: 'c-taken' }).first('consumed_at');
    t.true(Number(stored?.consumed_at) > 0, 'consumed by the read');
    await withRequestScope(async () => {
      const again = await codes.find('c-taken');
      t.is(typeof again?.consumed, 'number', 'the next request sees it consumed');
      const error = await t.throwsAsync(() => codes.consume('c-taken'));
      t.is((error as { error?: string }).error, 'invalid_grant');
    }, codeRedemption);
  });

  conformanceTest(
    "the token endpoint reads a code's grant and account in the statement that takes it",
    async (t) => {
      // A service's own accounts, read as one JSON text (AccountJsonQuery).
      await db.schema.createTable('claim_test_accounts', (table) => {
        table.string('id').primary();
        table.string('name');
      });
      await db('claim_test_accounts').insert({ id: 'acct-1', name: 'Ann Example' });
      const accountJson = (idSql: string) =>
        isPostgres(db)
          ? `(select json_build_object('name', x.name)::text from claim_test_accounts x where x.id = ${idSql})`
          : `(select json_object('name', x.name) from claim_test_accounts x where x.id = ${idSql})`;
      const Adapter = createKnexAdapter(db, undefined, { accountJson });
      const grants = new Adapter('Grant');
      const codes = new Adapter('AuthorizationCode');
      await grants.upsert('g-read', { accountId: 'acct-1', clientId: 'app', jti: 'g-read' }, 600);
      for (const id of ['c-read-1', 'c-read-2', 'c-read-3'])
        await codes.upsert(id, { grantId: 'g-read', accountId: 'acct-1', clientId: 'app', jti: id }, 60);

      const redeem = (code: string) =>
        withRequestScope(async () => {
          const before = statementsExecuted(db);
          const taken = await codes.find(code);
          const grant = await grants.find('g-read');
          const account = accountReadWithClaim('acct-1');
          return { taken, grant, account, statements: statementsExecuted(db) - before };
        }, codeRedemption);

      const first = await redeem('c-read-1');
      t.like(first.taken, { jti: 'c-read-1', grantId: 'g-read' });
      t.like(first.grant, { jti: 'g-read', accountId: 'acct-1', clientId: 'app' });
      t.deepEqual(JSON.parse(String(first.account)), { name: 'Ann Example' });
      t.is(first.statements, 1, 'the code, its grant and its account in one statement');

      // The account as it is when the code is taken: a change made after the code was issued shows.
      await db('claim_test_accounts').where({ id: 'acct-1' }).update({ name: 'Ann Changed' });
      t.deepEqual(JSON.parse(String((await redeem('c-read-2')).account)), { name: 'Ann Changed' });

      // An account gone is read as gone (null), not left for another read.
      await db('claim_test_accounts').where({ id: 'acct-1' }).delete();
      const gone = await redeem('c-read-3');
      t.like(gone.taken, { jti: 'c-read-3' });
      t.is(gone.account, null);

      // An expired grant is not answered: the grant's own read then finds nothing either.
      await codes.upsert(
        'c-read-4',
        { grantId: 'g-read', accountId: 'acct-1', clientId: 'app', jti: 'c-read-4' },
        60,
      );
      await db('oidc_payloads')
        .where({ model: 'Grant', id: 'g-read' })
        .update({ expires_at: Date.now() - 1000 });
      const expired = await redeem('c-read-4');
      t.is(expired.grant, undefined);
      t.is(expired.account, undefined, 'no account read for an expired grant');

      // Outside the token endpoint nothing is read with a code.
      t.is(accountReadWithClaim('acct-1'), undefined);
      await db.schema.dropTable('claim_test_accounts');
    },
  );

  conformanceTest(
    'a token request that fails gives its code back; one refused for the client keeps it spent',
    async (t) => {
      const codes = adapter('AuthorizationCode');
      const consumedAt = async (id: string) =>
        (await db('oidc_payloads').where({ id }).first('consumed_at'))?.consumed_at ?? null;
      for (const id of ['c-thrown', 'c-500', 'c-400'])
        await codes.upsert(id, { grantId: `g-${id}`, clientId: 'app', jti: id }, 60);
      // A throw after the read: nothing the request held is stored, and the code is as it was.
      await t.throwsAsync(
        withRequestScope(
          async () => {
            await codes.find('c-thrown');
            await codes.consume('c-thrown');
            await adapter('AccessToken').upsert('at-thrown', { grantId: 'g-c-thrown', jti: 'at-thrown' }, 60);
            throw new Error('failed after the read');
          },
          tokenRequest({ grant_type: 'authorization_code' }),
        ),
      );
      t.is(await consumedAt('c-thrown'), null);
      t.is(await adapter('AccessToken').find('at-thrown'), undefined);
      // oidc-provider's own answer to a failure (a database error in the grant read, say) is a 500.
      const failing = { ...tokenRequest({ grant_type: 'authorization_code' }), status: 200 };
      await withRequestScope(async () => {
        await codes.find('c-500');
        await adapter('AccessToken').upsert('at-500', { grantId: 'g-c-500', jti: 'at-500' }, 60);
        failing.status = 500;
      }, failing);
      t.is(await consumedAt('c-500'), null);
      t.is(await adapter('AccessToken').find('at-500'), undefined);
      // Refused for the client's own mistake (a wrong code_verifier): spent.
      const refused = { ...tokenRequest({ grant_type: 'authorization_code' }), status: 200 };
      await withRequestScope(async () => {
        await codes.find('c-400');
        refused.status = 400;
      }, refused);
      t.not(await consumedAt('c-400'), null);
    },
  );

  conformanceTest('another client reading a code at the token endpoint leaves it unconsumed', async (t) => {
    const codes = adapter('AuthorizationCode');
    await codes.upsert('c-other', { grantId: 'g-other-client', clientId: 'app', jti: 'c-other' }, 60);
    const read = await withRequestScope(
      () => codes.find('c-other'),
      tokenRequest({ grant_type: 'authorization_code' }, 'intruder'),
    );
    t.is(read?.consumed, undefined);
    const stored = await db('oidc_payloads').where({ id: 'c-other' }).first('consumed_at');
    t.is(stored?.consumed_at ?? null, null);
  });

  conformanceTest('outside the token endpoint a read of a code consumes nothing', async (t) => {
    const codes = adapter('AuthorizationCode');
    await codes.upsert('c-read', { grantId: 'g-read', clientId: 'app', jti: 'c-read' }, 60);
    await withRequestScope(() => codes.find('c-read'), { oidc: { route: 'introspection' } });
    await withRequestScope(() => codes.find('c-read'));
    const stored = await db('oidc_payloads').where({ id: 'c-read' }).first('consumed_at');
    t.is(stored?.consumed_at ?? null, null);
  });

  conformanceTest(
    'of twenty requests reading one code at once, exactly one gets it unconsumed',
    async (t) => {
      await adapter('AuthorizationCode').upsert(
        'c-rush',
        { grantId: 'g-rush', clientId: 'app', jti: 'c-rush' },
        60,
      );
      const reads = await Promise.all(
        Array.from({ length: 20 }, () =>
          withRequestScope(() => adapter('AuthorizationCode').find('c-rush'), codeRedemption),
        ),
      );
      t.is(reads.filter((code) => code && code.consumed === undefined).length, 1);
      t.is(reads.filter((code) => typeof code?.consumed === 'number').length, 19);
    },
  );

  conformanceTest(
    'a rotating refresh token is consumed with its read unless the request narrows the scope',
    async (t) => {
      const rotating = new (createKnexAdapter(db, undefined, { rotatesRefreshTokens: true }))('RefreshToken');
      const consumedAt = async (id: string) =>
        (await db('oidc_payloads').where({ id }).first('consumed_at'))?.consumed_at ?? null;
      await rotating.upsert('rt-plain', { grantId: 'g-rt', clientId: 'app', jti: 'rt-plain' }, 60);
      await rotating.upsert('rt-scoped', { grantId: 'g-rt', clientId: 'app', jti: 'rt-scoped' }, 60);
      await withRequestScope(
        async () => {
          t.is((await rotating.find('rt-plain'))?.consumed, undefined);
          await rotating.consume('rt-plain');
        },
        tokenRequest({ grant_type: 'refresh_token' }),
      );
      t.not(await consumedAt('rt-plain'), null, 'consumed by the read');
      // A `scope` the token lacks is refused after the read: the client may try again without it.
      await withRequestScope(
        () => rotating.find('rt-scoped'),
        tokenRequest({ grant_type: 'refresh_token', scope: 'openid admin' }),
      );
      t.is(await consumedAt('rt-scoped'), null);
      // Where refresh tokens do not always rotate, the read never consumes one.
      await adapter('RefreshToken').upsert(
        'rt-kept',
        { grantId: 'g-rt', clientId: 'app', jti: 'rt-kept' },
        60,
      );
      await withRequestScope(
        () => adapter('RefreshToken').find('rt-kept'),
        tokenRequest({ grant_type: 'refresh_token' }),
      );
      t.is(await consumedAt('rt-kept'), null);
    },
  );

  conformanceTest('clients come from the client registry with the secret digest', async (t) => {
    await putClient(db, {
      clientId: 'registry-client',
      secret: 'a-long-enough-client-secret',
      metadata: { redirect_uris: ['https://app.example.test/cb'] },
    });
    const client = await adapter('Client').find('registry-client');
    t.like(client, { client_id: 'registry-client', redirect_uris: ['https://app.example.test/cb'] });
    t.regex(String(client?.client_secret), /^[0-9a-f]{64}$/);
    t.is(await adapter('Client').find('unknown-client'), undefined);
  });
}

conformance(sqlite);
conformance(postgres);
