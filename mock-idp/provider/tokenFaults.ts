// Applies a token-stage scenario (outage, slowness, protocol misbehaviour) when the code from a
// sign-in that armed one is redeemed. Requests with no fault armed pass straight to the provider.
import { generateKeyPair, importJWK, type JWTPayload, SignJWT } from 'jose';
import type { Knex } from 'knex';
import type { Context, Middleware, Next } from 'koa';
import type Provider from 'oidc-provider';
import { publishedSigningKeys } from '../../shared/oidc/keyStore.ts';
import { findScenario } from '../scenarios/index.ts';
import type { TokenFaultTools } from '../scenarios/scenario.ts';

const faultLifetimeMs = 10 * 60 * 1000;

export async function armTokenFault(db: Knex, accountId: string, scenario: string): Promise<void> {
  await db('token_faults')
    .insert({ account_id: accountId, scenario, expires_at: Date.now() + faultLifetimeMs })
    .onConflict('account_id')
    .merge();
}

async function takeTokenFault(db: Knex, accountId: string): Promise<string | undefined> {
  const row = await db('token_faults')
    .where({ account_id: accountId })
    .andWhere('expires_at', '>', Date.now())
    .first();
  if (!row) return undefined;
  const taken = await db('token_faults').where({ account_id: accountId }).delete();
  return taken === 1 ? (row.scenario as string) : undefined;
}

let unknownKey: Promise<CryptoKey> | undefined;

function signingTools(db: Knex, slowResponseMs: number): TokenFaultTools {
  return {
    slowResponseMs,
    async sign(payload: JWTPayload, options = {}) {
      if (options.key === 'unknown') {
        unknownKey ??= generateKeyPair('RS256').then((pair) => pair.privateKey);
        return new SignJWT(payload)
          .setProtectedHeader({ alg: 'RS256', kid: 'not-a-published-key', typ: 'JWT', ...options.header })
          .sign(await unknownKey);
      }
      const [current] = await publishedSigningKeys(db);
      if (!current) throw new Error('the mock has no signing key');
      const key = await importJWK(current.privateJwk, 'RS256');
      return new SignJWT(payload)
        .setProtectedHeader({ alg: 'RS256', kid: current.kid, typ: 'JWT', ...options.header })
        .sign(key);
    },
  };
}

export function tokenFaults(options: {
  db: Knex;
  provider: Provider;
  tokenPath: string;
  slowResponseMs: number;
}): Middleware {
  const { db, provider, tokenPath } = options;
  const tools = signingTools(db, options.slowResponseMs);
  return async (ctx: Context, next: Next) => {
    if (ctx.method !== 'POST' || ctx.path !== tokenPath) return next();
    const armed = await db('token_faults').count({ count: '*' }).first();
    if (!armed || Number(armed.count) === 0) return next();
    // A fault is armed somewhere: read the body to find whose code this is. oidc-provider then reads
    // the parsed body instead of the stream.
    const body = await readForm(ctx);
    const code = typeof body.code === 'string' ? body.code : undefined;
    const authorizationCode = code
      ? await provider.AuthorizationCode.find(code, { ignoreExpiration: true })
      : undefined;
    const fault = authorizationCode?.accountId
      ? await takeTokenFault(db, authorizationCode.accountId)
      : undefined;
    const scenario = fault ? findScenario(fault) : undefined;
    if (scenario?.stage !== 'token') return next();
    await scenario.handle(ctx, next, tools);
  };
}

async function readForm(ctx: Context): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    ctx.assert(size <= 56 * 1024, 413, 'request entity too large');
    chunks.push(chunk as Buffer);
  }
  const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
  (ctx.request as { body?: unknown }).body = form;
  return form;
}
