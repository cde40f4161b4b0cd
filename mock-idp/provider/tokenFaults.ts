// Applies a token-stage scenario (outage, slowness, protocol misbehaviour) when the code from the
// sign-in that took it is redeemed. The sign-in names the scenario in its interaction result; when
// oidc-provider saves that sign-in's authorization code, the fault is keyed by the code, once, in
// memory: a code lives a minute and is redeemed at the mock that issued it. With no fault pending,
// token requests pass straight to the provider: no body read, no query.
import { generateKeyPair, importJWK, type JWTPayload, SignJWT } from 'jose';
import type { Knex } from 'knex';
import type { Context, Middleware, Next } from 'koa';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from '../../shared/logger.ts';
import { publishedSigningKeys } from '../../shared/oidc/keyStore.ts';
import { findScenario } from '../scenarios/index.ts';
import type { TokenFaultTools, TokenScenario } from '../scenarios/scenario.ts';

// Past the code's own lifetime, so a fault outlives no code it was meant for.
const faultLifetimeMs = 10 * 60 * 1000;

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

/** The token-stage scenario a sign-in took, as its interaction result names it (login.ts). */
function faultOfCurrentSignIn(): TokenScenario | undefined {
  // oidc-provider keeps the request's context in async local storage (its static `ctx`).
  const { ctx } = Provider as unknown as { ctx?: KoaContextWithOIDC };
  const result = ctx?.oidc?.result as { tokenFault?: unknown } | undefined;
  const scenario = typeof result?.tokenFault === 'string' ? findScenario(result.tokenFault) : undefined;
  return scenario?.stage === 'token' ? scenario : undefined;
}

export function tokenFaults(options: {
  db: Knex;
  provider: Provider;
  tokenPath: string;
  slowResponseMs: number;
  /** The service's body parser: oidc-provider then reads the parsed body instead of the stream. */
  parseBody: Middleware;
  logger: Logger;
}): Middleware {
  const { db, provider, tokenPath, parseBody, logger } = options;
  const tools = signingTools(db, options.slowResponseMs);
  const pending = new Map<string, { scenario: TokenScenario; expiresAt: number }>();

  provider.on('authorization_code.saved', (code) => {
    const scenario = faultOfCurrentSignIn();
    if (scenario) pending.set(code.jti, { scenario, expiresAt: Date.now() + faultLifetimeMs });
  });

  const take = (code: unknown): TokenScenario | undefined => {
    const now = Date.now();
    for (const [key, fault] of pending) if (fault.expiresAt <= now) pending.delete(key);
    if (typeof code !== 'string') return undefined;
    const fault = pending.get(code);
    pending.delete(code);
    return fault?.scenario;
  };

  return async (ctx: Context, next: Next) => {
    if (pending.size === 0 || ctx.method !== 'POST' || ctx.path !== tokenPath) return next();
    await parseBody(ctx, async () => {});
    const scenario = take((ctx.request as { body?: { code?: unknown } }).body?.code);
    if (!scenario) return next();
    // Testers (and tests) see when the fault takes the token request, before a slow one answers.
    logger.info({ correlationId: ctx.state.correlationId, scenario: scenario.name }, 'token fault applied');
    await scenario.handle(ctx, next, tools);
  };
}
