// Starting the NHSmail sign-in for an interaction, in one place: a fresh `state`, a forced login when
// the app asked for one (prompt=login, max_age) or the browser signed out of CQRS since
// (reauthentication.ts), the app's login_hint passed on, and the pending sign-in saved for the
// callback. Two callers: the authorization endpoint, which sends the browser straight to NHSmail with
// the interaction oidc-provider has just saved, and GET /interaction/:uid (retries, and the fallback
// when starting at the authorization endpoint failed).
import type { Context, Middleware, Next } from 'koa';
import type { default as Provider } from 'oidc-provider';
import type { Logger } from '../../shared/logger.ts';
import { newSignInInteraction } from '../../shared/oidc/newSignIn.ts';
import { type UpstreamConnector, UpstreamError } from '../upstream/connector.ts';
import { newState, type PendingSignInStore } from './pendingSignIns.ts';
import { mustReauthenticate } from './reauthentication.ts';

export const upstreamCallbackPath = '/upstream/callback';

export type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

/** Where to send the browser for `interaction`; throws the connector's UpstreamError when it cannot. */
export type StartUpstreamSignIn = (ctx: Context, interaction: Interaction) => Promise<URL>;

/**
 * The browser that started a sign-in, marked by a signed cookie holding its `state`, sent only to the
 * NHSmail callback. With it the callback completes the sign-in where it lands; without it (another
 * tab started a later sign-in, or the sign-in began before the cookie existed) the callback forwards
 * the browser to its interaction's path, where oidc-provider's interaction cookie binds it instead
 * (routes.ts).
 */
const startedHereCookie = 'cqrs_broker_upstream_state';

function markStartedHere(ctx: Context, state: string, secure: boolean, lifetimeMs: number): void {
  ctx.cookies.set(startedHereCookie, state, {
    signed: true,
    httpOnly: true,
    sameSite: 'lax',
    secure,
    path: upstreamCallbackPath,
    maxAge: lifetimeMs,
    overwrite: true,
  });
}

/** Whether this browser started the sign-in that `state` names; the mark is spent either way. */
export function startedHere(ctx: Context, state: string): boolean {
  const marked = ctx.cookies.get(startedHereCookie, { signed: true });
  if (marked === undefined) return false;
  ctx.cookies.set(startedHereCookie, null, { path: upstreamCallbackPath, overwrite: true });
  return marked === state;
}

export function upstreamSignInStarter(options: {
  issuer: string;
  connector: UpstreamConnector;
  pendingSignIns: PendingSignInStore;
  secureCookies: boolean;
}): StartUpstreamSignIn {
  const { connector, pendingSignIns } = options;
  const redirectUri = `${options.issuer}${upstreamCallbackPath}`;
  return async (ctx, interaction) => {
    const { params } = interaction;
    const state = newState(interaction.uid);
    const started = await connector.startSignIn({
      redirectUri,
      state,
      forceLogin:
        String(params.prompt ?? '')
          .split(' ')
          .includes('login') ||
        params.max_age !== undefined ||
        mustReauthenticate(ctx),
      loginHint: typeof params.login_hint === 'string' ? params.login_hint : undefined,
    });
    await pendingSignIns.save({
      state,
      interactionUid: interaction.uid,
      connectorData: started.connectorData,
    });
    markStartedHere(ctx, state, options.secureCookies, pendingSignIns.lifetimeMs);
    return started.url;
  };
}

/**
 * After oidc-provider's authorization endpoint has saved a new interaction that asks for a login and
 * redirected to /interaction/<uid>, send the browser to NHSmail instead, one request sooner. Only the
 * Location changes: the interaction and resume cookies stay as oidc-provider set them (its cookie path
 * is derived from the interaction URL, below which the NHSmail callback returns). The resume endpoint
 * (/auth/<uid>) and the consent prompt keep the redirect, and so does a failure to start: GET
 * /interaction/:uid then starts the sign-in again and shows and audits the refusal as it always has.
 *
 * GET only. The broker serves no POST /auth (oidc-provider's enableHttpPostMethods is off); were it
 * on, a cross-site POST would arrive without the SameSite=Lax sign-out cookie (reauthentication.ts),
 * which the top-level GET of /interaction/<uid> does carry.
 */
export function straightToUpstream(start: StartUpstreamSignIn, logger: Logger): Middleware {
  return async (ctx: Context, next: Next) => {
    await next();
    const interaction = newSignInInteraction(ctx);
    if (!interaction) return;
    try {
      ctx.redirect((await start(ctx, interaction)).href);
    } catch (caught) {
      // An UpstreamError is refused, audited and logged at /interaction/<uid> when it happens there.
      if (!(caught instanceof UpstreamError))
        logger.warn(
          { correlationId: ctx.state.correlationId, err: caught },
          'could not start the NHSmail sign-in at the authorization endpoint; /interaction/<uid> will try again',
        );
    }
  };
}
