// The broker's side of sign-in: hand the browser to NHSmail, take it back, apply the account gate.
//
//   /auth                     oidc-provider's authorization endpoint; a new sign-in goes straight on
//                             to NHSmail from there (upstreamSignIn.ts)
//   GET /interaction/:uid     start the NHSmail sign-in again for a pending authorization (the
//                             "Try again" link, or when starting at /auth failed), or grant a
//                             signed-in user's first-party consent at once
//   GET /upstream/callback    NHSmail's redirect back (the one registered redirect URI): forwards the
//                             browser to the interaction its `state` names, where the interaction
//                             cookie is sent
//   GET /interaction/:uid/callback   take the pending sign-in, validate, gate, audit, finish
//
// Every refusal is a SignInRefused, audited and shown by one middleware (signInRefused.ts).
import Router from '@koa/router';
import type { Context } from 'koa';
import { errors, type default as Provider } from 'oidc-provider';
import type { Logger } from '../../shared/logger.ts';
import { carryingAccount } from '../../shared/oidc/carriedAccount.ts';
import type { AccountStore, CqrsAccount } from '../accounts/accountStore.ts';
import type { AuditLog } from '../accounts/audit.ts';
import { signInGate } from '../accounts/signInGate.ts';
import type { BrokerConfig } from '../config.ts';
import { type UpstreamConnector, UpstreamError } from '../upstream/connector.ts';
import { finishFirstPartyConsent } from './consent.ts';
import { type UpstreamSessionResult, upstreamSessionOf } from '../logout/upstreamSessions.ts';
import { interactionUidOf, type PendingSignInStore } from './pendingSignIns.ts';
import { clearReauthentication } from './reauthentication.ts';
import { SignInRefused, signInRefusals } from './signInRefused.ts';
import { type Interaction, type StartUpstreamSignIn, upstreamCallbackPath } from './upstreamSignIn.ts';

export function interactionRoutes(options: {
  config: BrokerConfig;
  provider: Provider;
  accounts: AccountStore;
  audit: AuditLog;
  connector: UpstreamConnector;
  pendingSignIns: PendingSignInStore;
  startSignIn: StartUpstreamSignIn;
  logger: Logger;
}): Router {
  const { config, provider, accounts, audit, connector, pendingSignIns, startSignIn, logger } = options;
  const router = new Router();
  const callbackUrl = `${config.issuer}${upstreamCallbackPath}`;
  router.use(signInRefusals(audit, logger));

  router.get('/interaction/:uid', async (ctx) => {
    const interaction = await provider.interactionDetails(ctx.req, ctx.res);
    if (interaction.uid !== ctx.params.uid)
      ctx.throw(400, 'This sign-in does not belong to your browser session.');
    if (interaction.prompt.name === 'consent') return finishFirstPartyConsent(provider, ctx, interaction);
    const url = await startSignIn(ctx, interaction).catch(
      refuseUpstream({ clientId: String(interaction.params.client_id) }, ctx.path),
    );
    ctx.redirect(url.href);
  });

  // oidc-provider scopes its interaction cookie to /interaction/<uid>, so the browser must come back
  // below that path for the sign-in to be bound to it.
  router.get(upstreamCallbackPath, async (ctx) => {
    const uid = interactionUidOf(typeof ctx.query.state === 'string' ? ctx.query.state : '');
    if (!uid) throw new SignInRefused('state_unknown', { status: 400 });
    ctx.redirect(`/interaction/${encodeURIComponent(uid)}/callback?${ctx.querystring}`);
  });

  router.get('/interaction/:uid/callback', async (ctx) => {
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    // Single use: whoever takes the pending sign-in owns the callback. The take reads the interaction
    // too, so currentInteraction below costs no statement.
    const pending = state ? await pendingSignIns.take(state) : undefined;
    if (!pending) throw new SignInRefused('state_unknown', { status: 400 });
    const interaction = await currentInteraction(ctx);
    const clientId = String(interaction.params.client_id);
    if (interaction.uid !== pending.interactionUid || ctx.params.uid !== pending.interactionUid)
      throw new SignInRefused('interaction_mismatch', { status: 400, audit: { clientId } });

    // What NHSmail redirected to: the registered callback URL with its query.
    const identity = await connector
      .finishSignIn(new URL(`${callbackUrl}?${ctx.querystring}`), pending)
      .catch(refuseUpstream({ clientId }, `/interaction/${interaction.uid}`));
    const decision = await signInGate(accounts, identity);
    const who = { clientId, email: identity.email, upstreamOid: identity.objectId };
    if (!decision.allowed)
      throw new SignInRefused(decision.reason, { audit: { ...who, accountId: decision.account?.id } });
    await audit.record({
      event: 'sign_in',
      outcome: 'success',
      correlationId: String(ctx.state.correlationId),
      ...who,
      accountId: decision.account.id,
      detail: decision.linkedNow ? 'linked on first sign-in' : undefined,
    });
    clearReauthentication(ctx);
    await finishLogin(ctx, interaction, decision.account, upstreamSessionOf(identity));
  });

  /** The browser's interaction; none at all means a callback opened in a browser that never started it. */
  const currentInteraction = (ctx: Context): Promise<Interaction> =>
    provider.interactionDetails(ctx.req, ctx.res).catch((caught: unknown) => {
      // Login CSRF, or a link copied to another browser. The pending sign-in is spent either way.
      if (caught instanceof errors.SessionNotFound) throw new SignInRefused('login_csrf', { status: 400 });
      throw caught;
    });

  return router;
}

function refuseUpstream(audit: { clientId: string }, retryHref: string) {
  return (caught: unknown): never => {
    if (caught instanceof UpstreamError) throw SignInRefused.fromUpstream(caught, audit, retryHref);
    throw caught;
  };
}

/**
 * interactionFinished without reading the interaction a second time: store the result on the one we
 * hold and send the browser back to oidc-provider's authorization endpoint.
 */
async function finishLogin(
  ctx: Context,
  interaction: Interaction,
  account: CqrsAccount,
  // Linked to the broker session when it resumes, for front-channel logout (broker/logout/).
  upstream: UpstreamSessionResult,
): Promise<void> {
  const login = { accountId: account.id, amr: ['pwd'], remember: true };
  // A first-party app's prompt=consent (offline_access) is answered by signing in: no consent screen.
  const consentAsked = String(interaction.params.prompt ?? '')
    .split(' ')
    .includes('consent');
  // The gate's read of the account serves the resume too (shared/oidc/carriedAccount.ts).
  interaction.result = carryingAccount(
    consentAsked ? { login, consent: {}, upstream } : { login, upstream },
    account,
  );
  await interaction.save(interaction.exp - Math.floor(Date.now() / 1000));
  ctx.status = 303;
  ctx.redirect(interaction.returnTo);
}
