// The broker's side of sign-in: hand the browser to NHSmail, take it back, apply the account gate.
//
//   /auth                     oidc-provider's authorization endpoint; a new sign-in goes straight on
//                             to NHSmail from there (upstreamSignIn.ts)
//   GET /interaction/:uid     start the NHSmail sign-in again for a pending authorization (the
//                             "Try again" link, or when starting at /auth failed), or grant a
//                             signed-in user's first-party consent at once
//   GET /upstream/callback    NHSmail's redirect back (the one registered redirect URI): in the
//                             browser that started the sign-in, take the pending sign-in, validate,
//                             gate, audit, finish; in any other, forward to the interaction its
//                             `state` names, where the interaction cookie is sent
//   GET /interaction/:uid/callback   the same, for a browser the interaction cookie binds
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
import { interactionUidOf, type PendingSignIn, type PendingSignInStore } from './pendingSignIns.ts';
import { clearReauthentication } from './reauthentication.ts';
import { SignInRefused, signInRefusals } from './signInRefused.ts';
import {
  type Interaction,
  type StartUpstreamSignIn,
  startedHere,
  upstreamCallbackPath,
} from './upstreamSignIn.ts';

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
    // Without the interaction cookie (lost or blocked, or a link opened in another browser) the page
    // is a refusal like the callback's, audited.
    const interaction = await provider.interactionDetails(ctx.req, ctx.res).catch(refuseLoginCsrf);
    // The browser's own sign-in is another one: this one is not its to continue.
    if (interaction.uid !== ctx.params.uid) throw SignInRefused.interactionMismatch(interaction);
    if (interaction.prompt.name === 'consent') return finishFirstPartyConsent(provider, ctx, interaction);
    const url = await startSignIn(ctx, interaction).catch(
      refuseUpstream({ clientId: String(interaction.params.client_id) }, ctx.path),
    );
    ctx.redirect(url.href);
  });

  // NHSmail's redirect back. The browser that started this sign-in (its signed mark, upstreamSignIn.ts)
  // completes it here. Any other goes on below /interaction/<uid>, the path oidc-provider scopes its
  // interaction cookie to, which binds the sign-in to the browser there.
  router.get(upstreamCallbackPath, async (ctx) => {
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    const uid = interactionUidOf(state);
    if (!uid) throw new SignInRefused('state_unknown', { status: 400 });
    if (!startedHere(ctx, state)) {
      ctx.redirect(`/interaction/${encodeURIComponent(uid)}/callback?${ctx.querystring}`);
      return;
    }
    // Single use: whoever takes the pending sign-in owns the callback. The take reads the interaction
    // too, so markedInteraction below costs no statement.
    const pending = await pendingSignIns.take(state);
    if (!pending) throw new SignInRefused('state_unknown', { status: 400 });
    const interaction = await markedInteraction(provider, pending.interactionUid).catch(refuseLoginCsrf);
    await completeSignIn(ctx, pending, interaction);
  });

  router.get('/interaction/:uid/callback', async (ctx) => {
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    const pending = state ? await pendingSignIns.take(state) : undefined;
    if (!pending) throw new SignInRefused('state_unknown', { status: 400 });
    const interaction = await provider.interactionDetails(ctx.req, ctx.res).catch(refuseLoginCsrf);
    if (interaction.uid !== pending.interactionUid || ctx.params.uid !== pending.interactionUid)
      throw SignInRefused.interactionMismatch(interaction);
    await completeSignIn(ctx, pending, interaction);
  });

  /** NHSmail's answer for `pending`: validate, gate, audit, finish. */
  const completeSignIn = async (ctx: Context, pending: PendingSignIn, interaction: Interaction) => {
    const clientId = String(interaction.params.client_id);
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
  };

  return router;
}

/**
 * Interaction `uid` as interactionDetails answers it, for a browser whose mark (upstreamSignIn.ts)
 * stands in for the interaction cookie.
 */
async function markedInteraction(provider: Provider, uid: string): Promise<Interaction> {
  const interaction = await provider.Interaction.find(uid);
  if (!interaction) throw new errors.SessionNotFound('interaction session not found');
  const signedIn = interaction.session;
  if (signedIn?.uid) {
    // The browser's session when the sign-in began must still be the same account's.
    const session = await provider.Session.findByUid(signedIn.uid);
    if (session?.accountId !== signedIn.accountId)
      throw new errors.SessionNotFound('session not found or its principal changed');
  }
  return interaction;
}

/** A missing interaction means a page opened in a browser that never started the sign-in. */
function refuseLoginCsrf(caught: unknown): never {
  // Login CSRF, or a link copied to another browser. The pending sign-in is spent either way.
  if (caught instanceof errors.SessionNotFound) throw new SignInRefused('login_csrf', { status: 400 });
  throw caught;
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
