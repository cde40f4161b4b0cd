// The tester control API, guarded by a bearer token. JSON in, JSON out; refusals are ServiceErrors,
// answered by the service's error middleware as {error: code, message, correlation_id}, and bad input
// is a 400 that says what is wrong.
//
//   GET    /_mock/accounts                      list accounts
//   POST   /_mock/accounts                      create an account
//   GET    /_mock/accounts/:email               one account
//   PATCH  /_mock/accounts/:email               change name, state, MFA or password
//   DELETE /_mock/accounts/:email               delete an account
//   POST   /_mock/accounts/:email/lock          lock until unlocked
//   POST   /_mock/accounts/:email/unlock        unlock and clear the failure count
//   GET    /_mock/scenarios                     the failure catalogue and what is armed
//   POST   /_mock/next-sign-in                  arm a scenario for an account's (or anyone's) next sign-in
//   DELETE /_mock/next-sign-in                  disarm everything (or ?account=)
//   GET    /_mock/attempts                      recent sign-in attempts (?limit=&email=)
//   POST   /_mock/reset                         restore the seed state
import { timingSafeEqual } from 'node:crypto';
import Router from '@koa/router';
import type { Knex } from 'knex';
import type { Context, Next } from 'koa';
import { z } from 'zod';
import { ConflictError, NotFoundError, ServiceError } from '../../shared/errors.ts';
import type { MockIdpConfig } from '../config.ts';
import { AccountStore, accountStates, type NhsmailAccount, normaliseEmail } from '../directory/accounts.ts';
import { recentAttempts } from '../directory/attempts.ts';
import { lock, unlock } from '../directory/lockout.ts';
import { passwordRules } from '../directory/passwords.ts';
import { anyAccount, armScenario, disarm, listArmed } from '../scenarios/armed.ts';
import { scenarioNames, scenarios } from '../scenarios/index.ts';
import { seedMockIdp } from '../seed.ts';

const email = z.email({ message: 'must be an email address' }).transform(normaliseEmail);
const password = z.string().refine(passwordRules.check, { message: `must have ${passwordRules.describe}` });
const name = z.string().trim().min(1, 'must not be empty').max(200);

const createAccount = z.strictObject({
  email,
  password,
  givenName: name,
  familyName: name,
  state: z.enum(accountStates).optional(),
  mfaRequired: z.boolean().optional(),
});

const updateAccount = z.strictObject({
  password: password.optional(),
  givenName: name.optional(),
  familyName: name.optional(),
  state: z.enum(accountStates).optional(),
  mfaRequired: z.boolean().optional(),
});

const armRequest = z.strictObject({
  scenario: z.enum(scenarioNames as [string, ...string[]], {
    message: `must be one of: ${scenarioNames.join(', ')}`,
  }),
  account: z.union([z.literal(anyAccount), email]).default(anyAccount),
});

function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    const detail = result.error.issues
      .map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`)
      .join('; ');
    throw new ServiceError('bad_request', detail, { status: 400 });
  }
  return result.data;
}

/** An account as the API shows it (and the CLI reads it). */
export type AccountView = ReturnType<typeof view>;

function view(account: NhsmailAccount) {
  return {
    email: account.email,
    oid: account.oid,
    givenName: account.givenName,
    familyName: account.familyName,
    state: account.state,
    locked: account.state === 'locked' || (account.lockedUntil !== null && account.lockedUntil > Date.now()),
    lockedUntil:
      account.lockedUntil && account.lockedUntil > Date.now()
        ? new Date(account.lockedUntil).toISOString()
        : null,
    failedAttempts: account.failedAttempts,
    mfaRequired: account.mfaRequired,
    mfaCode: account.mfaCode,
  };
}

function bearer(expected: string) {
  const expectedBytes = Buffer.from(expected, 'utf8');
  return async (ctx: Context, next: Next) => {
    const header = ctx.get('authorization');
    const presented = Buffer.from(header.startsWith('Bearer ') ? header.slice(7).trim() : '', 'utf8');
    const valid = presented.length === expectedBytes.length && timingSafeEqual(presented, expectedBytes);
    if (!valid) {
      ctx.set('WWW-Authenticate', 'Bearer realm="mock-idp control"');
      throw new ServiceError('unauthorized', 'missing or wrong bearer token', { status: 401 });
    }
    await next();
  };
}

export function controlRoutes(options: { config: MockIdpConfig; db: Knex }): Router {
  const { config, db } = options;
  const accounts = new AccountStore(db);
  const router = new Router({ prefix: '/_mock' });
  router.use(bearer(config.controlToken));

  const requireAccount = async (ctx: Context) => {
    const account = await accounts.findByEmail(String(ctx.params.email));
    if (!account) throw new NotFoundError(`no account ${normaliseEmail(String(ctx.params.email))}`);
    return account;
  };
  const body = (ctx: Context) => (ctx.request as { body?: unknown }).body;

  router.get('/accounts', async (ctx) => {
    ctx.body = { accounts: (await accounts.list()).map(view) };
  });

  router.post('/accounts', async (ctx) => {
    const input = parse(createAccount, body(ctx));
    if (await accounts.findByEmail(input.email))
      throw new ConflictError(`account ${input.email} already exists`);
    ctx.status = 201;
    ctx.body = view(await accounts.put(input));
  });

  router.get('/accounts/:email', async (ctx) => {
    ctx.body = view(await requireAccount(ctx));
  });

  router.patch('/accounts/:email', async (ctx) => {
    const account = await requireAccount(ctx);
    const changes = parse(updateAccount, body(ctx));
    const updated = await accounts.update(account.email, changes);
    ctx.body = view(updated ?? account);
  });

  router.delete('/accounts/:email', async (ctx) => {
    const account = await requireAccount(ctx);
    await accounts.remove(account.email);
    ctx.status = 204;
  });

  router.post('/accounts/:email/lock', async (ctx) => {
    const account = await requireAccount(ctx);
    await lock(db, account.email);
    ctx.body = view((await accounts.findByEmail(account.email)) ?? account);
  });

  router.post('/accounts/:email/unlock', async (ctx) => {
    const account = await requireAccount(ctx);
    await unlock(db, account.email);
    ctx.body = view((await accounts.findByEmail(account.email)) ?? account);
  });

  router.get('/scenarios', async (ctx) => {
    ctx.body = {
      scenarios: scenarios.map((scenario) => ({
        name: scenario.name,
        aadsts: scenario.aadsts,
        stage: scenario.stage,
        summary: scenario.summary,
      })),
      armed: await listArmed(db),
    };
  });

  router.post('/next-sign-in', async (ctx) => {
    const input = parse(armRequest, body(ctx));
    if (input.account !== anyAccount && !(await accounts.findByEmail(input.account))) {
      throw new NotFoundError(`no account ${input.account}`);
    }
    ctx.status = 201;
    ctx.body = await armScenario(db, input.account, input.scenario);
  });

  router.delete('/next-sign-in', async (ctx) => {
    const account = typeof ctx.query.account === 'string' ? ctx.query.account : undefined;
    ctx.body = { disarmed: await disarm(db, account) };
  });

  router.get('/attempts', async (ctx) => {
    const query = parse(
      z.object({ limit: z.coerce.number().int().min(1).max(1000).default(50), email: z.string().optional() }),
      ctx.query,
    );
    ctx.body = { attempts: await recentAttempts(db, query) };
  });

  router.post('/reset', async (ctx) => {
    await seedMockIdp(db, config);
    ctx.body = { reset: true, accounts: (await accounts.list()).length };
  });

  return router;
}
