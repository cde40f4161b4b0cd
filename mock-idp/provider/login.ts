// The NHSmail sign-in pages (guide steps 2 and 4) and what follows the password.
//
//   GET  /<tenant>/login/:uid           sign-in form
//   POST /<tenant>/login/:uid           user ID and password
//   POST /<tenant>/login/:uid/mfa       one-time code
//   POST /<tenant>/login/:uid/password  new password after expiry
//   POST /<tenant>/login/:uid/cancel    user cancels: access_denied back to the app
//   GET  /unlock                        "Unlock Account or Forgotten Password?" help
import Router from '@koa/router';
import type { Knex } from 'knex';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { Logger } from '../../shared/logger.ts';
import type { MockIdpConfig } from '../config.ts';
import { AccountStore, isLocked, type NhsmailAccount } from '../directory/accounts.ts';
import { recordAttempt } from '../directory/attempts.ts';
import { recordFailedPassword, recordSuccessfulPassword } from '../directory/lockout.ts';
import { passwordRules, verifyPassword } from '../directory/passwords.ts';
import { takeArmedScenario } from '../scenarios/armed.ts';
import { findScenario } from '../scenarios/index.ts';
import type { PasswordOutcome } from '../scenarios/scenario.ts';
import { entraRoutes } from './provider.ts';
import { armTokenFault } from './tokenFaults.ts';

const progressLifetimeMs = 15 * 60 * 1000;

interface Progress {
  uid: string;
  email: string;
  step: 'mfa' | 'change_password';
  scenario: string | null;
  remember: boolean | number;
}

const outcomeCodes: Record<PasswordOutcome, string> = {
  invalid_credentials: 'AADSTS50126',
  locked: 'AADSTS50053',
  disabled: 'AADSTS50057',
  password_expired: 'AADSTS50055',
  mfa: 'AADSTS50076',
};

type Body = Record<string, string | undefined>;

function formBody(ctx: Context): Body {
  return ((ctx.request as { body?: Body }).body ?? {}) as Body;
}

export function loginRoutes(options: {
  config: MockIdpConfig;
  db: Knex;
  provider: Provider;
  logger: Logger;
}): Router {
  const { config, db, provider, logger } = options;
  const accounts = new AccountStore(db);
  const prefix = entraRoutes(config.tenantId).interaction;
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

  const renderLogin = (ctx: Context, locals: { username?: string; error?: string }) =>
    ctx.render('login', {
      title: 'Sign in',
      action: `${prefix}/${ctx.params.uid}`,
      username: '',
      error: undefined,
      ...locals,
    });

  const attempt = (
    ctx: Context,
    email: string,
    outcome: string,
    errorCode: string | null,
    clientId: string | undefined,
  ) =>
    recordAttempt(db, {
      email,
      outcome,
      errorCode,
      clientId: clientId ?? null,
      correlationId: String(ctx.state.correlationId),
    });

  /** A wrong password or one-time code: counted toward lockout and logged; true when it locked. */
  const failedAttempt = async (
    ctx: Context,
    email: string,
    outcome: string,
    errorCode: string,
    clientId: string | undefined,
  ) => {
    const nowLocked = await recordFailedPassword(db, email, config.lockout);
    await attempt(ctx, email, nowLocked ? `${outcome}_locked` : outcome, errorCode, clientId);
    return nowLocked;
  };

  /** Ends the sign-in successfully (arming any token-stage fault first). */
  const finish = async (
    ctx: Context,
    account: NhsmailAccount,
    remember: boolean,
    scenario: string | null,
  ) => {
    if (scenario) await armTokenFault(db, account.oid, scenario);
    await db('login_progress').where({ uid: ctx.params.uid }).delete();
    await provider.interactionFinished(
      ctx.req,
      ctx.res,
      { login: { accountId: account.oid, remember, amr: ['pwd'] } },
      { mergeWithLastSubmission: false },
    );
  };

  const showOutcome = async (
    ctx: Context,
    outcome: PasswordOutcome,
    account: NhsmailAccount,
    remember: boolean,
    scenario: string | null,
  ) => {
    switch (outcome) {
      case 'invalid_credentials':
        // Echo what was typed, as for a real wrong password: the page must not tell them apart.
        return renderLogin(ctx, {
          username: (formBody(ctx).username ?? account.email).trim(),
          error: ctx.state.skin.invalidCredentials,
        });
      case 'locked':
        return ctx.render('locked', { title: ctx.state.skin.lockedHeading });
      case 'disabled':
        return ctx.render('disabled', { title: ctx.state.skin.disabledHeading });
      case 'password_expired':
      case 'mfa': {
        const step = outcome === 'mfa' ? 'mfa' : 'change_password';
        await db('login_progress')
          .insert({
            uid: ctx.params.uid,
            email: account.email,
            step,
            scenario,
            remember,
            expires_at: Date.now() + progressLifetimeMs,
          })
          .onConflict('uid')
          .merge();
        return renderStep(ctx, step, account);
      }
    }
  };

  const renderStep = (ctx: Context, step: Progress['step'], account: NhsmailAccount, error?: string) =>
    step === 'mfa'
      ? ctx.render('mfa', {
          title: ctx.state.skin.mfaHeading,
          action: `${prefix}/${ctx.params.uid}/mfa`,
          error,
          trainerCode: config.trainerMode ? account.mfaCode : undefined,
        })
      : ctx.render('change-password', {
          title: ctx.state.skin.expiredHeading,
          action: `${prefix}/${ctx.params.uid}/password`,
          error,
          rules: passwordRules.describe,
        });

  const loadProgress = async (ctx: Context, step: Progress['step']) => {
    const progress = await db<Progress>('login_progress')
      .where({ uid: ctx.params.uid, step })
      .andWhere('expires_at', '>', Date.now())
      .first();
    const account = progress ? await accounts.findByEmail(progress.email) : undefined;
    if (!progress || !account)
      return ctx.throw(400, 'This sign-in has expired. Go back to the app and sign in again.');
    return { progress, account };
  };

  router.get(`${prefix}/:uid`, async (ctx) => {
    const interaction = await details(ctx);
    if (interaction.prompt.name !== 'login')
      ctx.throw(400, 'This sign-in cannot continue. Go back to the app and sign in again.');
    await renderLogin(ctx, {});
  });

  router.post(`${prefix}/:uid`, async (ctx) => {
    const interaction = await details(ctx);
    const body = formBody(ctx);
    const username = (body.username ?? '').trim();
    const password = body.password ?? '';
    const remember = body.private === 'yes';
    const clientId = interaction.params.client_id as string | undefined;

    if (!username || !password) {
      await renderLogin(ctx, { username, error: ctx.state.skin.invalidCredentials });
      return;
    }
    const row = await accounts.findRowByEmail(username);
    const passwordMatches = await verifyPassword(row?.password_hash, password);
    const account = row ? await accounts.findByEmail(row.email) : undefined;

    if (!account) {
      await attempt(ctx, username, 'invalid_credentials', 'AADSTS50034', clientId);
      await renderLogin(ctx, { username, error: ctx.state.skin.invalidCredentials });
      return;
    }
    if (isLocked(account)) {
      // Failures while locked neither count nor extend the lock.
      await attempt(ctx, account.email, 'locked', outcomeCodes.locked, clientId);
      await showOutcome(ctx, 'locked', account, remember, null);
      return;
    }
    if (!passwordMatches) {
      await failedAttempt(
        ctx,
        account.email,
        'invalid_credentials',
        outcomeCodes.invalid_credentials,
        clientId,
      );
      await renderLogin(ctx, { username, error: ctx.state.skin.invalidCredentials });
      return;
    }
    if (account.state === 'disabled') {
      await attempt(ctx, account.email, 'disabled', outcomeCodes.disabled, clientId);
      await showOutcome(ctx, 'disabled', account, remember, null);
      return;
    }
    await recordSuccessfulPassword(db, account.email);

    const armedName = await takeArmedScenario(db, account.email);
    const scenario = armedName ? findScenario(armedName) : undefined;
    if (scenario?.stage === 'authorization') {
      await attempt(ctx, account.email, scenario.name, scenario.aadsts, clientId);
      await provider.interactionFinished(
        ctx.req,
        ctx.res,
        { error: scenario.error, error_description: scenario.errorDescription },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    const tokenScenario = scenario?.stage === 'token' ? scenario.name : null;
    let outcome: PasswordOutcome | 'success' = 'success';
    if (scenario?.stage === 'password') outcome = scenario.outcome;
    else if (account.state === 'password_expired') outcome = 'password_expired';
    else if (account.mfaRequired) outcome = 'mfa';

    if (scenario?.stage === 'password' && scenario.countsAsFailedPassword)
      await recordFailedPassword(db, account.email, config.lockout);
    await attempt(
      ctx,
      account.email,
      scenario ? scenario.name : outcome,
      outcome === 'success' ? null : (scenario?.aadsts ?? outcomeCodes[outcome]),
      clientId,
    );
    if (outcome === 'success') {
      await finish(ctx, account, remember, tokenScenario);
      return;
    }
    await showOutcome(ctx, outcome, account, remember, tokenScenario);
  });

  router.post(`${prefix}/:uid/mfa`, async (ctx) => {
    await details(ctx);
    const { progress, account } = await loadProgress(ctx, 'mfa');
    const code = (formBody(ctx).code ?? '').replace(/\s+/g, '');
    if (code !== account.mfaCode) {
      // Wrong codes count toward lockout like wrong passwords, so codes cannot be guessed endlessly.
      const nowLocked = await failedAttempt(
        ctx,
        account.email,
        'mfa_invalid_code',
        outcomeCodes.mfa,
        undefined,
      );
      if (nowLocked) {
        await db('login_progress').where({ uid: ctx.params.uid }).delete();
        await ctx.render('locked', { title: ctx.state.skin.lockedHeading });
        return;
      }
      await renderStep(ctx, 'mfa', account, ctx.state.skin.mfaInvalid);
      return;
    }
    await attempt(ctx, account.email, 'success', null, undefined);
    await finish(ctx, account, Boolean(progress.remember), progress.scenario);
  });

  router.post(`${prefix}/:uid/password`, async (ctx) => {
    await details(ctx);
    const { progress, account } = await loadProgress(ctx, 'change_password');
    const body = formBody(ctx);
    const newPassword = body.newPassword ?? '';
    if (
      !(await verifyPassword(
        (
          await accounts.findRowByEmail(account.email)
        )?.password_hash,
        body.currentPassword ?? '',
      ))
    ) {
      await renderStep(ctx, 'change_password', account, 'Your current password is not correct.');
      return;
    }
    if (!passwordRules.check(newPassword)) {
      await renderStep(
        ctx,
        'change_password',
        account,
        `Your new password must have ${passwordRules.describe}.`,
      );
      return;
    }
    if (newPassword !== body.confirmPassword) {
      await renderStep(ctx, 'change_password', account, 'The new passwords do not match.');
      return;
    }
    if (newPassword === body.currentPassword) {
      await renderStep(
        ctx,
        'change_password',
        account,
        'Your new password must be different from your current password.',
      );
      return;
    }
    await accounts.update(account.email, { password: newPassword, state: 'active' });
    await attempt(ctx, account.email, 'password_changed', null, undefined);
    if (account.mfaRequired) {
      await db('login_progress').where({ uid: ctx.params.uid }).update({ step: 'mfa' });
      await renderStep(ctx, 'mfa', account);
      return;
    }
    await finish(ctx, account, Boolean(progress.remember), progress.scenario);
  });

  router.post(`${prefix}/:uid/cancel`, async (ctx) => {
    await details(ctx);
    await db('login_progress').where({ uid: ctx.params.uid }).delete();
    await provider.interactionFinished(
      ctx.req,
      ctx.res,
      {
        error: 'access_denied',
        error_description: 'AADSTS65004: User declined to consent to access the app.',
      },
      { mergeWithLastSubmission: false },
    );
  });

  router.get('/unlock', async (ctx) => {
    await ctx.render('unlock', { title: 'Unlock your account or reset your password' });
  });

  logger.debug({ prefix }, 'login routes ready');
  return router;
}
