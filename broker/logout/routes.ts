// Sign-out that crosses to NHSmail, both ways.
//
//   POST /session/end/confirm             (oidc-provider's) after it ends the session, continue to
//                                         NHSmail's end_session_endpoint unless UPSTREAM_END_SESSION=false
//   GET  /upstream/signed-out             NHSmail's post-logout redirect back: on to the app's
//                                         post_logout_redirect_uri (with its state), or the signed-out page
//   GET  /upstream/frontchannel-logout    NHSmail's front-channel logout URL (?iss=…&sid=…), loaded in a
//                                         cross-site iframe without the broker's cookies: ends the broker
//                                         sessions of that upstream session and tells their apps
import Router from '@koa/router';
import type { Knex } from 'knex';
import type { Context, Middleware, Next } from 'koa';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from '../../shared/logger.ts';
import type { AuditLog } from '../accounts/audit.ts';
import type { BrokerConfig } from '../config.ts';
import type { LogoutDeliverer } from './delivery.ts';
import { endSessions, queueLogouts, sessionsByUid } from './sessions.ts';
import { linkOfBrokerSession, linksOfUpstreamSession } from './upstreamSessions.ts';
import type { UpstreamSignOut } from './upstreamSignOut.ts';

export const upstreamSignedOutPath = '/upstream/signed-out';
export const frontchannelLogoutPath = '/upstream/frontchannel-logout';
const afterSignOutCookie = 'cqrs_broker_after_signout';

interface Dependencies {
  config: BrokerConfig;
  db: Knex;
  provider: Provider;
  audit: AuditLog;
  logger: Logger;
  deliverer: LogoutDeliverer;
  upstreamSignOut: UpstreamSignOut;
}

/** Wraps oidc-provider's end-session confirmation: audit it, then hand the browser to NHSmail. */
export function continueToUpstreamSignOut(deps: Dependencies, confirmPath: string): Middleware {
  const { config, db, provider, audit, logger, upstreamSignOut } = deps;
  return async (ctx: Context, next: Next) => {
    if (ctx.method !== 'POST' || ctx.path !== confirmPath) return next();
    const sessionId = ctx.cookies.get(provider.cookieName('session'), { signed: true });
    // Read before oidc-provider deletes the session, and the link with it.
    const link = sessionId ? await linkOfBrokerSession(db, sessionId) : undefined;
    await next();
    const session = (ctx as unknown as KoaContextWithOIDC).oidc?.session;
    const redirected = ctx.status >= 300 && ctx.status < 400;
    // oidc-provider marks a session it destroyed (lib/models/session.js); not in its types.
    const destroyed = (session as { destroyed?: boolean } | undefined)?.destroyed === true;
    if (!redirected || !session || !destroyed) return;
    const correlationId = String(ctx.state.correlationId);
    await audit.record({
      event: 'logout',
      outcome: 'signed_out',
      correlationId,
      accountId: session.accountId,
    });
    if (!config.logout.upstreamEndSession) return;
    const destination = ctx.response.get('location');
    // A sign-in as another account ends the previous session on its way back to the authorization
    // (oidc-provider's resume); NHSmail has just signed the new account in, so it is not told.
    if (isAuthorizationResume(destination, config.issuer)) return;
    const upstream = await upstreamSignOut
      // Without the hint (an upstream that sent no sid or login_hint), NHSmail asks which account.
      .url({ postLogoutRedirectUri: `${config.issuer}${upstreamSignedOutPath}`, logoutHint: link?.loginHint })
      .catch((error: unknown) => {
        // NHSmail unreachable: the CQRS sign-out is done; do not hold the user on an error page.
        logger.warn({ correlationId, err: error }, 'NHSmail sign-out skipped: no end_session_endpoint');
        return undefined;
      });
    if (!upstream) return;
    ctx.cookies.set(afterSignOutCookie, destination, {
      signed: true,
      httpOnly: true,
      sameSite: 'lax',
      secure: config.secureCookies,
      maxAge: 15 * 60 * 1000,
      overwrite: true,
    });
    ctx.status = 303;
    ctx.redirect(upstream.href);
  };
}

export function logoutRoutes(deps: Dependencies): Router {
  const { config, db, audit, logger, deliverer } = deps;
  const router = new Router();
  const upstreamOrigin = new URL(config.upstream.issuer).origin;

  router.get(upstreamSignedOutPath, async (ctx) => {
    // The cookie holds what oidc-provider chose (a registered post_logout_redirect_uri with its state).
    const destination = ctx.cookies.get(afterSignOutCookie, { signed: true });
    ctx.cookies.set(afterSignOutCookie, null, { overwrite: true });
    ctx.status = 303;
    ctx.redirect(destination || '/session/end/success');
  });

  router.get(frontchannelLogoutPath, async (ctx) => {
    const issuer = typeof ctx.query.iss === 'string' ? ctx.query.iss : '';
    const sid = typeof ctx.query.sid === 'string' ? ctx.query.sid : '';
    if (!issuer || !sid) ctx.throw(400, 'iss and sid are required.');
    const correlationId = String(ctx.state.correlationId);
    let ended = 0;
    // Only NHSmail's own sessions: an iss other than the configured upstream's matches nothing.
    if (issuer === config.upstream.issuer) {
      const sessions = await db.transaction(async (trx) => {
        const links = await linksOfUpstreamSession(trx, issuer, sid);
        const found = await sessionsByUid(
          trx,
          links.map((link) => link.brokerSessionUid),
        );
        await queueLogouts(trx, found, 'upstream_signed_out', correlationId);
        await endSessions(trx, found);
        return found;
      });
      for (const session of sessions)
        await audit.record({
          event: 'logout',
          outcome: 'upstream_signed_out',
          correlationId,
          accountId: session.accountId,
          detail: 'NHSmail front-channel logout',
        });
      ended = sessions.length;
      if (ended > 0) deliverer.wake();
    }
    logger.info({ correlationId, ended }, 'front-channel logout from NHSmail');
    // Entra loads this in an iframe on its own sign-out page: framing by the upstream only.
    ctx.set('Content-Security-Policy', `frame-ancestors ${upstreamOrigin}`);
    ctx.remove('X-Frame-Options');
    ctx.set('Cache-Control', 'no-store');
    await ctx.render('upstream-logged-out', { title: 'Signed out' });
  });

  return router;
}

function isAuthorizationResume(destination: string, issuer: string): boolean {
  const url = new URL(destination, issuer);
  return url.origin === new URL(issuer).origin && url.pathname.startsWith('/auth/');
}
