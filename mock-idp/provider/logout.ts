// Single sign-out as Entra does it (docs/testing-with-the-mock.md, "Signing out").
//
//   GET  /<tenant>/oauth2/v2.0/logout          end_session: registered post_logout_redirect_uris,
//                                              id_token_hint (oidc-provider checks both) and Entra's
//                                              logout_hint: when it names this browser's account, the
//                                              sign-out happens at once, without asking
//   POST /<tenant>/oauth2/v2.0/logout/confirm  the "Sign out" button (oidc-provider's)
// Either way the browser then gets a page that loads every other signed-in client's front-channel
// logout URL in an iframe, with `iss` and `sid` (the sid in that client's id_token), and continues to
// the post-logout redirect once they have loaded.
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Context, Middleware, Next } from 'koa';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';

type RenderingContext = KoaContextWithOIDC & { render: (view: string, locals: object) => Promise<void> };

interface SessionPayload {
  accountId?: string;
  authorizations?: Record<string, { sid?: string; grantId?: string }>;
}

/** Entra's optional `login_hint` claim: an opaque, stable value per account, here derived from the oid. */
export function loginHintFor(tenantId: string, oid: string): string {
  return createHash('sha256').update(`login_hint|${tenantId}|${oid}`).digest('base64url');
}

/** The clients to tell and where: every client of the session with a front-channel URI but `except`. */
async function frontchannelTargets(
  provider: Provider,
  issuer: string,
  session: SessionPayload,
  except: string | undefined,
): Promise<string[]> {
  const targets: string[] = [];
  for (const [clientId, authorization] of Object.entries(session.authorizations ?? {})) {
    if (clientId === except || !authorization.sid) continue;
    const client = await provider.Client.find(clientId).catch(() => undefined);
    const uri = client?.metadata().frontchannel_logout_uri;
    if (typeof uri !== 'string') continue;
    const target = new URL(uri);
    target.searchParams.set('iss', issuer);
    target.searchParams.set('sid', authorization.sid);
    targets.push(target.href);
  }
  return targets;
}

async function renderSignedOut(ctx: Context, targets: string[], continueTo: string): Promise<void> {
  ctx.status = 200;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  await (ctx as unknown as RenderingContext).render('logged-out', {
    title: 'Signed out',
    frontchannelUris: targets,
    continueTo,
  });
}

/** oidc-provider's logoutSource: sign out at once for a matching logout_hint, else ask. */
export function logoutSource(provider: Provider, options: { tenantId: string; issuer: string }) {
  return async (ctx: KoaContextWithOIDC, form: string): Promise<void> => {
    const { session, params, client } = ctx.oidc;
    const hint = typeof params?.logout_hint === 'string' ? params.logout_hint : undefined;
    const accountId = session?.accountId;
    if (!session || !accountId || !hint || hint !== loginHintFor(options.tenantId, accountId)) {
      await (ctx as RenderingContext).render('logout', { title: 'Sign out of NHSmail', form });
      return;
    }
    const payload = session as unknown as SessionPayload;
    const targets = await frontchannelTargets(provider, options.issuer, payload, client?.clientId);
    // What oidc-provider's confirmation does (lib/actions/end_session.js): end the grants, then the session.
    for (const authorization of Object.values(payload.authorizations ?? {})) {
      if (!authorization.grantId) continue;
      await provider.AccessToken.revokeByGrantId(authorization.grantId);
      await provider.AuthorizationCode.revokeByGrantId(authorization.grantId);
      await provider.Grant.adapter.destroy(authorization.grantId);
    }
    await session.destroy();
    ctx.cookies.set(provider.cookieName('session'), null);
    const postLogout =
      typeof params?.post_logout_redirect_uri === 'string' ? params.post_logout_redirect_uri : undefined;
    const continueTo = new URL(postLogout ?? ctx.oidc.urlFor('end_session_success'));
    if (postLogout && typeof params?.state === 'string') continueTo.searchParams.set('state', params.state);
    if (targets.length === 0) {
      ctx.status = 303;
      ctx.redirect(continueTo.href);
      return;
    }
    await renderSignedOut(ctx, targets, continueTo.href);
  };
}

/** Wraps the confirmation: after oidc-provider signs out, tell the other clients before continuing. */
export function frontchannelAfterConfirm(
  provider: Provider,
  db: Knex,
  options: { confirmPath: string; issuer: string },
): Middleware {
  return async (ctx: Context, next: Next) => {
    if (ctx.method !== 'POST' || ctx.path !== options.confirmPath) return next();
    const sessionId = ctx.cookies.get(provider.cookieName('session'), { signed: true });
    const row = sessionId
      ? await db('oidc_payloads').where({ model: 'Session', id: sessionId }).first('payload')
      : undefined;
    const before = row
      ? (JSON.parse(row.payload) as SessionPayload & { state?: { clientId?: string } })
      : undefined;
    await next();
    if (!before || ctx.status !== 303) return;
    const oidc = (ctx as unknown as KoaContextWithOIDC).oidc;
    if (!(oidc?.session as { destroyed?: boolean } | undefined)?.destroyed) return;
    const targets = await frontchannelTargets(provider, options.issuer, before, oidc.client?.clientId);
    if (targets.length === 0) return;
    await renderSignedOut(ctx, targets, ctx.response.get('location'));
  };
}

/** The account this browser is signed in to NHSmail as, for the tester's home page. */
export async function signedInAccountId(
  ctx: Context,
  provider: Provider,
  db: Knex,
): Promise<string | undefined> {
  const sessionId = ctx.cookies.get(provider.cookieName('session'), { signed: true });
  if (!sessionId) return undefined;
  const row = await db('oidc_payloads')
    .where({ model: 'Session', id: sessionId })
    .andWhere((query) => query.whereNull('expires_at').orWhere('expires_at', '>', Date.now()))
    .first('payload');
  return row ? (JSON.parse(row.payload) as SessionPayload).accountId : undefined;
}
