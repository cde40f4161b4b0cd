// A failure mode of the mock NHSmail IdP. Each one lives in its own module beside this file and is
// chosen by name: per account by seeded state, or for the next sign-in through the control API.
import type { Context, Next } from 'koa';
import type { JWTPayload } from 'jose';

/** What the sign-in page shows after the password step. */
export type PasswordOutcome = 'invalid_credentials' | 'locked' | 'disabled' | 'password_expired' | 'mfa';

interface ScenarioBase {
  name: string;
  /** The Entra error this stands for, e.g. AADSTS50126. */
  aadsts: string | null;
  /** One line for testers: what the broker and the user will see. */
  summary: string;
}

/** Replaces the outcome of a correct password with one of the IdP's own pages. */
export interface PasswordScenario extends ScenarioBase {
  stage: 'password';
  outcome: PasswordOutcome;
  /** Counts toward lockout like a real wrong password (an unknown user has no count to add to). */
  countsAsFailedPassword: boolean;
}

/** Ends the sign-in with an OAuth error sent back to the app (Entra's error redirect). */
export interface AuthorizationScenario extends ScenarioBase {
  stage: 'authorization';
  error: string;
  errorDescription: string;
}

export interface TokenFaultTools {
  /** Signs claims as the mock would, with `header` overrides; `key: 'unknown'` uses a key not in the JWKS. */
  sign(
    payload: JWTPayload,
    options?: { key?: 'published' | 'unknown'; header?: Record<string, unknown> },
  ): Promise<string>;
  slowResponseMs: number;
}

/** Misbehaves at the token endpoint when the code from this sign-in is redeemed. */
export interface TokenScenario extends ScenarioBase {
  stage: 'token';
  /** Handles the token request instead of (or around) the provider: `next` runs the real endpoint. */
  handle(ctx: Context, next: Next, tools: TokenFaultTools): Promise<void>;
}

export type Scenario = PasswordScenario | AuthorizationScenario | TokenScenario;

/** Rewrites the id_token of a successful token response; leaves error responses alone. */
export async function rewriteIdToken(
  ctx: Context,
  next: Next,
  rewrite: (idToken: string) => Promise<string>,
): Promise<void> {
  await next();
  const body = ctx.body as { id_token?: unknown } | undefined;
  if (ctx.status === 200 && body && typeof body.id_token === 'string') {
    ctx.body = { ...body, id_token: await rewrite(body.id_token) };
  }
}
