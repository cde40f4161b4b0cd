// The broker's side of sign-in: hand the browser to NHSmail, take it back, apply the account gate.
//
//   GET /interaction/:uid     start (or retry) the NHSmail sign-in for a pending authorization, or
//                             grant a signed-in user's first-party consent at once
//   GET /upstream/callback    NHSmail's redirect back (the one registered redirect URI): forwards the
//                             browser to the interaction it belongs to, where the interaction cookie is sent
//   GET /interaction/:uid/callback   validate, gate, audit, finish the authorization
import Router from '@koa/router';
import type { Knex } from 'knex';
import type { Context } from 'koa';
import { errors, type default as Provider } from 'oidc-provider';
import type { Logger } from '../../shared/logger.ts';
import type { AccountStore } from '../accounts/accountStore.ts';
import type { AuditLog } from '../accounts/audit.ts';
import { signInGate } from '../accounts/signInGate.ts';
import { clearReauthentication, mustReauthenticate } from './reauthentication.ts';
import type { BrokerConfig } from '../config.ts';
import { type UpstreamConnector, UpstreamError } from '../upstream/connector.ts';
import { finishFirstPartyConsent } from './consent.ts';

const attemptLifetimeMs = 15 * 60 * 1000;
export const upstreamCallbackPath = '/upstream/callback';

interface AttemptRow {
  state: string;
  interaction_uid: string;
  nonce: string;
  code_verifier: string;
  expires_at: number;
}

export function interactionRoutes(options: {
  config: BrokerConfig;
  db: Knex;
  provider: Provider;
  accounts: AccountStore;
  audit: AuditLog;
  connector: UpstreamConnector;
  logger: Logger;
}): Router {
  const { config, db, provider, accounts, audit, connector, logger } = options;
  const router = new Router();
  const callbackUrl = `${config.issuer}${upstreamCallbackPath}`;

  const showUpstreamFailure = async (ctx: Context, error: UpstreamError, retryHref: string | undefined) => {
    const correlationId = String(ctx.state.correlationId);
    if (error.kind === 'cancelled') {
      ctx.status = 400;
      await ctx.render('cancelled', { title: 'Sign-in was cancelled', retryHref, correlationId });
    } else if (error.kind === 'unavailable') {
      ctx.status = 503;
      await ctx.render('unavailable', { title: 'NHSmail sign-in is unavailable', retryHref, correlationId });
    } else {
      ctx.status = 403;
      await ctx.render('error', { title: 'Authentication Error', correlationId });
    }
  };

  router.get('/interaction/:uid', async (ctx) => {
    const interaction = await provider.interactionDetails(ctx.req, ctx.res);
    if (interaction.uid !== ctx.params.uid)
      ctx.throw(400, 'This sign-in does not belong to your browser session.');
    if (interaction.prompt.name === 'consent') return finishFirstPartyConsent(provider, ctx, interaction);
    const prompt = String(interaction.params.prompt ?? '');
    try {
      const pending = await connector.startSignIn({
        redirectUri: callbackUrl,
        forceLogin:
          prompt.split(' ').includes('login') ||
          interaction.params.max_age !== undefined ||
          mustReauthenticate(ctx),
        loginHint:
          typeof interaction.params.login_hint === 'string' ? interaction.params.login_hint : undefined,
      });
      await db('upstream_attempts').insert({
        state: pending.state,
        interaction_uid: interaction.uid,
        nonce: pending.nonce,
        code_verifier: pending.codeVerifier,
        expires_at: Date.now() + attemptLifetimeMs,
      });
      ctx.redirect(pending.url.href);
    } catch (caught) {
      if (!(caught instanceof UpstreamError)) throw caught;
      logger.warn(
        { correlationId: ctx.state.correlationId, reason: caught.reason, err: caught.cause },
        'upstream sign-in could not start',
      );
      await audit.record({
        event: 'sign_in',
        outcome: `upstream_${caught.kind}`,
        correlationId: String(ctx.state.correlationId),
        clientId: String(interaction.params.client_id),
        detail: caught.reason,
      });
      await showUpstreamFailure(ctx, caught, `/interaction/${interaction.uid}`);
    }
  });

  const refuseUnknownState = async (ctx: Context) => {
    const correlationId = String(ctx.state.correlationId);
    await audit.record({ event: 'sign_in', outcome: 'state_unknown', correlationId });
    ctx.status = 400;
    await ctx.render('error', { title: 'Authentication Error', correlationId });
  };

  // oidc-provider scopes its interaction cookie to /interaction/<uid>, so the browser must come back
  // below that path for the sign-in to be bound to it.
  router.get(upstreamCallbackPath, async (ctx) => {
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    const attempt = state ? await db<AttemptRow>('upstream_attempts').where({ state }).first() : undefined;
    if (!attempt) return refuseUnknownState(ctx);
    ctx.redirect(`/interaction/${encodeURIComponent(attempt.interaction_uid)}/callback?${ctx.querystring}`);
  });

  router.get('/interaction/:uid/callback', async (ctx) => {
    const correlationId = String(ctx.state.correlationId);
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    const attempt = state ? await db<AttemptRow>('upstream_attempts').where({ state }).first() : undefined;
    // Single use: whoever deletes the row owns the callback.
    const owned = attempt ? (await db('upstream_attempts').where({ state }).delete()) === 1 : false;
    if (!attempt || !owned || attempt.expires_at < Date.now()) return refuseUnknownState(ctx);
    const interaction = await provider.interactionDetails(ctx.req, ctx.res).catch((caught: unknown) => {
      if (caught instanceof errors.SessionNotFound) return undefined;
      throw caught;
    });
    if (!interaction) {
      // A genuine callback in a browser that never started this sign-in: login CSRF, or a link
      // copied to another browser. The attempt is spent either way.
      await audit.record({ event: 'sign_in', outcome: 'login_csrf', correlationId });
      ctx.status = 400;
      await ctx.render('error', { title: 'Authentication Error', correlationId, reason: 'login_csrf' });
      return;
    }
    const clientId = String(interaction.params.client_id);
    if (interaction.uid !== attempt.interaction_uid || ctx.params.uid !== attempt.interaction_uid) {
      await audit.record({ event: 'sign_in', outcome: 'interaction_mismatch', correlationId, clientId });
      ctx.status = 400;
      await ctx.render('error', { title: 'Authentication Error', correlationId });
      return;
    }
    const retryHref = `/interaction/${interaction.uid}`;

    let identity: Awaited<ReturnType<UpstreamConnector['finishSignIn']>>;
    try {
      // What NHSmail redirected to: the registered callback URL with its query.
      const currentUrl = new URL(`${callbackUrl}?${ctx.querystring}`);
      identity = await connector.finishSignIn(currentUrl, {
        state: attempt.state,
        nonce: attempt.nonce,
        codeVerifier: attempt.code_verifier,
      });
    } catch (caught) {
      if (!(caught instanceof UpstreamError)) throw caught;
      logger.warn(
        { correlationId, kind: caught.kind, reason: caught.reason, err: caught.cause },
        'upstream sign-in failed',
      );
      await audit.record({
        event: 'sign_in',
        outcome: `upstream_${caught.kind}`,
        correlationId,
        clientId,
        detail: caught.reason,
      });
      await showUpstreamFailure(ctx, caught, retryHref);
      return;
    }

    const decision = await signInGate(accounts, identity);
    if (!decision.allowed) {
      await audit.record({
        event: 'sign_in',
        outcome: decision.reason,
        correlationId,
        clientId,
        accountId: decision.account?.id,
        email: identity.email,
        upstreamOid: identity.objectId,
      });
      ctx.status = 403;
      await ctx.render('error', { title: 'Authentication Error', correlationId });
      return;
    }
    await audit.record({
      event: 'sign_in',
      outcome: 'success',
      correlationId,
      clientId,
      accountId: decision.account.id,
      email: identity.email,
      upstreamOid: identity.objectId,
      detail: decision.linkedNow ? 'linked on first sign-in' : undefined,
    });
    clearReauthentication(ctx);
    await provider.interactionFinished(
      ctx.req,
      ctx.res,
      { login: { accountId: decision.account.id, amr: ['pwd'], remember: true } },
      { mergeWithLastSubmission: false },
    );
  });

  return router;
}
