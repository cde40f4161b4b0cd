// The NHSmail sign-in pages (guide steps 2 and 4) and what follows the password: thin routes that read
// and write, signInDecision.ts for what happens, loginPages.ts for what the pages say.
//
// As at Entra, the sign-in form is the authorization endpoint's own answer when a new sign-in asks for
// the password (formAtAuthorization below); it posts to the routes here.
//
//   GET  /<tenant>/login/:uid           sign-in form again (reloads, "try again" links, the fallback)
//   POST /<tenant>/login/:uid           user ID and password
//   POST /<tenant>/login/:uid/mfa       one-time code
//   POST /<tenant>/login/:uid/password  new password after expiry
//   POST /<tenant>/login/:uid/cancel    user cancels: access_denied back to the app
//   GET  /unlock                        "Unlock Account or Forgotten Password?" help
import Router from '@koa/router';
import type { Knex } from 'knex';
import type { Context, Middleware, Next } from 'koa';
import compose from 'koa-compose';
import type { default as Provider } from 'oidc-provider';
import type { Logger } from '../../shared/logger.ts';
import { newSignInInteraction } from '../../shared/oidc/newSignIn.ts';
import { carryingAccount } from '../../shared/oidc/carriedAccount.ts';
import type { MockIdpConfig } from '../config.ts';
import { AccountStore, type NhsmailAccount, toAccount } from '../directory/accounts.ts';
import { recordAttempt } from '../directory/attempts.ts';
import { checkFailed, checkSucceeded, reserveCheck } from '../directory/lockout.ts';
import { passwordRules, verifyPassword } from '../directory/passwords.ts';
import { takeArmedScenario } from '../scenarios/armed.ts';
import { consentDeclined } from '../scenarios/consentDeclined.ts';
import { findScenario } from '../scenarios/index.ts';
import { mfaRequired } from '../scenarios/mfaRequired.ts';
import { changePasswordErrors, loginPages, type Step } from './loginPages.ts';
import { loginProgress } from './loginProgress.ts';
import { claimsAccount, entraRoutes } from './provider.ts';
import {
  afterPasswordCheck,
  refusedBeforeCheck,
  type SignInOutcome,
  withScenario,
} from './signInDecision.ts';

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;
type Body = Record<string, string | undefined>;

const formBody = (ctx: Context): Body => ((ctx.request as { body?: Body }).body ?? {}) as Body;

/** Ends the interaction with `result` and sends the browser back to oidc-provider to resume. */
async function conclude(
  ctx: Context,
  interaction: Interaction,
  result: Interaction['result'],
): Promise<void> {
  interaction.result = result;
  // What provider.interactionFinished does, with the interaction already in hand (no second read).
  await interaction.save(interaction.exp - Math.floor(Date.now() / 1000));
  ctx.redirect(interaction.returnTo);
  ctx.status = 303;
}

export interface LoginRoutes {
  /** The routes above, below the interaction path. */
  routes(): ReturnType<Router['routes']>;
  /**
   * After oidc-provider's authorization endpoint has saved a new interaction that asks for a login and
   * redirected to /<tenant>/login/<uid>, answers with the sign-in form instead: one request and one
   * interaction read fewer. `prepare` is what runs before the routes above too (this browser's form
   * token, the trainer panel), so the form is the one GET /<tenant>/login/<uid> shows. The interaction
   * and resume cookies stay as oidc-provider set them; the interaction cookie's path is
   * /<tenant>/login/<uid>, where the form posts. Other prompts keep the redirect, and so does a form
   * that cannot be rendered: GET /<tenant>/login/<uid> then shows the form, or refuses the prompt.
   */
  formAtAuthorization(prepare: Middleware[]): Middleware;
}

export function loginRoutes(options: {
  config: MockIdpConfig;
  db: Knex;
  provider: Provider;
  logger: Logger;
}): LoginRoutes {
  const { config, db, provider, logger } = options;
  const accounts = new AccountStore(db);
  const progress = loginProgress(db);
  const prefix = entraRoutes(config.tenantId).interaction;
  const pages = loginPages({ prefix, trainerMode: config.trainerMode });
  const router = new Router();

  const details = async (ctx: Context) => {
    const interaction = await provider.interactionDetails(ctx.req, ctx.res);
    ctx.assert(
      interaction.uid === ctx.params.uid,
      400,
      'This sign-in page does not belong to your current sign-in.',
    );
    return interaction;
  };

  const record = (
    ctx: Context,
    interaction: Interaction,
    email: string,
    attempt: string,
    errorCode: string | null,
  ) =>
    recordAttempt(db, {
      email,
      outcome: attempt,
      errorCode,
      clientId: (interaction.params.client_id as string | undefined) ?? null,
      correlationId: String(ctx.state.correlationId),
    });

  const finish = (
    ctx: Context,
    interaction: Interaction,
    account: NhsmailAccount,
    remember: boolean,
    tokenFault: string | null,
  ) =>
    conclude(
      ctx,
      interaction,
      // The account read here serves the resume too (shared/oidc/carriedAccount.ts).
      carryingAccount(
        {
          login: { accountId: account.oid, remember, amr: ['pwd'] },
          // Read back when oidc-provider saves this sign-in's authorization code (tokenFaults.ts).
          ...(tokenFault ? { tokenFault } : {}),
        },
        claimsAccount(account),
      ),
    );

  /** The sign-in's progress has run out, or its account was deleted meanwhile. */
  const expired = (ctx: Context) =>
    ctx.throw(400, 'This sign-in has expired. Go back to the app and sign in again.');

  /** Shows a sign-in outcome: a page, an error back to the app, or the end of the sign-in. */
  const show = async (
    ctx: Context,
    interaction: Interaction,
    outcome: SignInOutcome,
    context: { username: string; account: NhsmailAccount | undefined; remember: boolean },
  ) => {
    const { account, remember } = context;
    if (outcome.kind === 'refuse')
      return conclude(ctx, interaction, {
        error: outcome.error,
        error_description: outcome.errorDescription,
      });
    const shown = outcome.kind === 'page' ? outcome.page : undefined;
    // Echo what was typed, as for a real wrong password: the page must not tell them apart.
    if (shown === 'invalid_credentials')
      return pages.signIn(ctx, interaction.uid, { username: context.username, failed: true });
    if (shown === 'locked') return pages.locked(ctx);
    if (shown === 'disabled') return pages.disabled(ctx);
    if (!account) throw new Error(`a sign-in outcome without an account: ${outcome.attempt}`);
    if (outcome.kind === 'finish') return finish(ctx, interaction, account, remember, outcome.tokenFault);
    const step: Step = shown === 'mfa' ? 'mfa' : 'change_password';
    await progress.save({
      uid: interaction.uid,
      email: account.email,
      step,
      scenario: outcome.tokenFault,
      remember,
    });
    return pages.step(ctx, step, account);
  };

  /** The scenario armed for this account's next sign-in (or anyone's), taken so that it fires once. */
  const takeScenario = async (email: string) => {
    const name = await takeArmedScenario(db, email);
    return name === undefined ? undefined : findScenario(name);
  };

  router.get(`${prefix}/:uid`, async (ctx) => {
    const interaction = await details(ctx);
    if (interaction.prompt.name !== 'login')
      ctx.throw(400, 'This sign-in cannot continue. Go back to the app and sign in again.');
    await pages.signIn(ctx, interaction.uid);
  });

  router.post(`${prefix}/:uid`, async (ctx) => {
    const interaction = await details(ctx);
    const body = formBody(ctx);
    const username = (body.username ?? '').trim();
    const password = body.password ?? '';
    const remember = body.private === 'yes';
    if (!username || !password) return pages.signIn(ctx, interaction.uid, { username, failed: true });

    // The lockout check, the count and the one read of the account are a single statement.
    const reserved = await reserveCheck(db, username, config.lockout);
    if (!reserved) {
      const row = await accounts.findRowByEmail(username);
      // An unknown user ID costs the same time as a wrong password.
      if (!row) await verifyPassword(undefined, password);
      const known = row && toAccount(row);
      const outcome = refusedBeforeCheck(known);
      await record(ctx, interaction, known?.email ?? username, outcome.attempt, outcome.errorCode);
      return show(ctx, interaction, outcome, { username, account: known, remember });
    }
    const account = toAccount(reserved);
    const passwordMatches = await verifyPassword(reserved.password_hash, password);
    const outcome =
      afterPasswordCheck(account, passwordMatches) ??
      withScenario(account, await takeScenario(account.email));
    let attempt = outcome.attempt;
    if (outcome.kind === 'page' && outcome.failedCheck) {
      if (await checkFailed(db, reserved, config.lockout)) attempt = `${attempt}_locked`;
    } else {
      await checkSucceeded(db, account.email);
    }
    await record(ctx, interaction, account.email, attempt, outcome.errorCode);
    await show(ctx, interaction, outcome, { username, account, remember });
  });

  /** The progress of this interaction at `step`, and a reserved check on its account. */
  const resume = async (ctx: Context, step: Step) => {
    const interaction = await details(ctx);
    const current = await progress.find(interaction.uid, step);
    if (!current) return expired(ctx);
    const reserved = await reserveCheck(db, current.email, config.lockout);
    if (!reserved && !(await accounts.findRowByEmail(current.email))) return expired(ctx);
    return { interaction, current, reserved };
  };

  router.post(`${prefix}/:uid/mfa`, async (ctx) => {
    const { interaction, current, reserved } = await resume(ctx, 'mfa');
    if (!reserved) {
      await progress.remove(interaction.uid);
      return pages.locked(ctx);
    }
    const account = toAccount(reserved);
    const code = (formBody(ctx).code ?? '').replace(/\s+/g, '');
    if (code !== account.mfaCode) {
      // Wrong codes count toward lockout like wrong passwords, so codes cannot be guessed endlessly.
      const nowLocked = await checkFailed(db, reserved, config.lockout);
      const attempt = nowLocked ? 'mfa_invalid_code_locked' : 'mfa_invalid_code';
      await record(ctx, interaction, account.email, attempt, mfaRequired.aadsts);
      if (!nowLocked) return pages.step(ctx, 'mfa', account, ctx.state.skin.mfaInvalid);
      await progress.remove(interaction.uid);
      return pages.locked(ctx);
    }
    await checkSucceeded(db, account.email);
    await record(ctx, interaction, account.email, 'success', null);
    await progress.remove(interaction.uid);
    await finish(ctx, interaction, account, current.remember, current.scenario);
  });

  router.post(`${prefix}/:uid/password`, async (ctx) => {
    const { interaction, current, reserved } = await resume(ctx, 'change_password');
    if (!reserved) {
      await progress.remove(interaction.uid);
      return pages.locked(ctx);
    }
    const account = toAccount(reserved);
    const body = formBody(ctx);
    const newPassword = body.newPassword ?? '';
    if (!(await verifyPassword(reserved.password_hash, body.currentPassword ?? ''))) {
      if (await checkFailed(db, reserved, config.lockout)) {
        await progress.remove(interaction.uid);
        return pages.locked(ctx);
      }
      return pages.step(ctx, 'change_password', account, changePasswordErrors.currentWrong);
    }
    await checkSucceeded(db, account.email);
    let refusal: string | undefined;
    if (!passwordRules.check(newPassword)) refusal = changePasswordErrors.rules;
    else if (newPassword !== body.confirmPassword) refusal = changePasswordErrors.mismatch;
    else if (newPassword === body.currentPassword) refusal = changePasswordErrors.unchanged;
    if (refusal) return pages.step(ctx, 'change_password', account, refusal);

    await accounts.update(account.email, { password: newPassword, state: 'active' });
    await record(ctx, interaction, account.email, 'password_changed', null);
    if (account.mfaRequired) {
      await progress.advance(interaction.uid, 'mfa');
      return pages.step(ctx, 'mfa', account);
    }
    await progress.remove(interaction.uid);
    await finish(ctx, interaction, account, current.remember, current.scenario);
  });

  router.post(`${prefix}/:uid/cancel`, async (ctx) => {
    const interaction = await details(ctx);
    await progress.remove(interaction.uid);
    await conclude(ctx, interaction, {
      error: consentDeclined.error,
      error_description: consentDeclined.errorDescription,
    });
  });

  router.get('/unlock', async (ctx) => {
    await ctx.render('unlock', { title: 'Unlock your account or reset your password' });
  });

  const formAtAuthorization = (prepare: Middleware[]): Middleware => {
    return async (ctx: Context, next: Next) => {
      await next();
      const interaction = newSignInInteraction(ctx);
      if (!interaction) return;
      const destination = ctx.response.get('Location');
      if (destination !== `${prefix}/${interaction.uid}`) return;
      try {
        await compose([...prepare, (page: Context) => pages.signIn(page, interaction.uid)])(ctx);
        ctx.remove('Location');
        ctx.status = 200;
      } catch (caught) {
        logger.warn(
          { correlationId: ctx.state.correlationId, err: caught },
          'could not show the sign-in form at the authorization endpoint; redirecting to the sign-in page',
        );
        ctx.redirect(destination);
        ctx.status = 303;
      }
    };
  };

  logger.debug({ prefix }, 'login routes ready');
  return { routes: () => router.routes(), formAtAuthorization };
}
