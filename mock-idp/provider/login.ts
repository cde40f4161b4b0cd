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
import { type AccountRow, AccountStore, type NhsmailAccount, toAccount } from '../directory/accounts.ts';
import { recordAttempt } from '../directory/attempts.ts';
import { checkFailed, checkSucceeded, reserveCheck } from '../directory/lockout.ts';
import { verifyPassword } from '../directory/passwords.ts';
import { takeArmedScenario } from '../scenarios/armed.ts';
import { consentDeclined } from '../scenarios/consentDeclined.ts';
import { findScenario } from '../scenarios/index.ts';
import { loginPages, type Step } from './loginPages.ts';
import { loginProgress } from './loginProgress.ts';
import { claimsAccount, entraRoutes } from './provider.ts';
import {
  afterOneTimeCode,
  afterPasswordChange,
  afterPasswordCheck,
  failsCheck,
  lockedBy,
  refusedBeforeCheck,
  type SignInOutcome,
  stepRefusedBeforeCheck,
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

  /** Records the outcome's attempt in the attempts log, if it names one. */
  const record = async (ctx: Context, interaction: Interaction, email: string, outcome: SignInOutcome) => {
    if (outcome.attempt === null) return;
    await recordAttempt(db, {
      email,
      outcome: outcome.attempt,
      errorCode: outcome.errorCode,
      clientId: (interaction.params.client_id as string | undefined) ?? null,
      correlationId: String(ctx.state.correlationId),
    });
  };

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

  /** The step of the sign-in that a page outcome asks for next, if any. */
  const stepOf = (outcome: SignInOutcome): Step | undefined => {
    if (outcome.kind !== 'page') return undefined;
    if (outcome.page === 'mfa') return 'mfa';
    return outcome.page === 'password_expired' ? 'change_password' : undefined;
  };

  /**
   * Records a sign-in outcome in the attempts log (under the account's email, else what was typed) and
   * shows it: a page, an error back to the app, or the end of the sign-in. `from` is the step the
   * request answered (none for the sign-in form): the sign-in's progress is saved when it reaches a
   * step, moved on to the next step, or removed when it leaves the steps.
   */
  const show = async (
    ctx: Context,
    interaction: Interaction,
    outcome: SignInOutcome,
    context: {
      username: string;
      account: NhsmailAccount | undefined;
      remember: boolean;
      from?: Step;
    },
  ) => {
    const { account, remember, from } = context;
    await record(ctx, interaction, account?.email ?? context.username, outcome);
    const step = stepOf(outcome);
    if (step && account && outcome.kind === 'page') {
      if (from === undefined) {
        // The token-stage fault taken at the password step rides in this row (the same statement),
        // until the code or new password is accepted and finish() names it in the interaction result
        // as the plain path does. It cannot be keyed by code as tokenFaults.ts does (no code exists
        // yet); naming it in the interaction now would cost a second statement (an interaction save);
        // and in memory it would be lost when the mock restarts, which a sign-in at this step
        // survives (test/mock-idp/restart.test.ts).
        await progress.save({
          uid: interaction.uid,
          email: account.email,
          step,
          scenario: outcome.tokenFault,
          remember,
        });
      } else if (from !== step) {
        await progress.advance(interaction.uid, step);
      }
      return pages.step(ctx, step, account, outcome.error);
    }
    if (from !== undefined) await progress.remove(interaction.uid);
    if (outcome.kind === 'refuse')
      return conclude(ctx, interaction, {
        error: outcome.error,
        error_description: outcome.errorDescription,
      });
    if (outcome.kind === 'finish' && account)
      return finish(ctx, interaction, account, remember, outcome.tokenFault);
    const shown = outcome.kind === 'page' ? outcome.page : undefined;
    // Echo what was typed, as for a real wrong password: the page must not tell them apart.
    if (shown === 'invalid_credentials')
      return pages.signIn(ctx, interaction.uid, { username: context.username, failed: true });
    if (shown === 'locked') return pages.locked(ctx);
    if (shown === 'disabled') return pages.disabled(ctx);
    throw new Error(`a sign-in outcome without an account: ${outcome.attempt}`);
  };

  /**
   * Settles a reserved check as the outcome says (a failure counts, and may lock the account; anything
   * else starts the count again), stores a new password, records the attempt and shows the outcome.
   */
  const settle = async (
    ctx: Context,
    interaction: Interaction,
    reserved: AccountRow,
    decided: SignInOutcome,
    context: { username: string; remember: boolean; from?: Step },
  ) => {
    const account = toAccount(reserved);
    let outcome = decided;
    if (failsCheck(outcome)) {
      if (await checkFailed(db, reserved, config.lockout)) outcome = lockedBy(outcome);
    } else {
      await checkSucceeded(db, account.email);
    }
    if (outcome.kind !== 'refuse' && outcome.newPassword !== undefined)
      await accounts.update(account.email, { password: outcome.newPassword, state: 'active' });
    await show(ctx, interaction, outcome, { ...context, account });
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
      return show(ctx, interaction, refusedBeforeCheck(known), { username, account: known, remember });
    }
    const account = toAccount(reserved);
    const passwordMatches = await verifyPassword(reserved.password_hash, password);
    const outcome =
      afterPasswordCheck(account, passwordMatches) ??
      withScenario(account, await takeScenario(account.email));
    await settle(ctx, interaction, reserved, outcome, { username, remember });
  });

  /**
   * The progress of this interaction at `step`, a reserved check on its account and the context its
   * outcome is shown in; without a check (the account was locked meanwhile) the step ends on the
   * locked page.
   */
  const resume = async (ctx: Context, step: Step) => {
    const interaction = await details(ctx);
    const current = await progress.find(interaction.uid, step);
    if (!current) return expired(ctx);
    const context = { username: current.email, remember: current.remember, from: step };
    const reserved = await reserveCheck(db, current.email, config.lockout);
    if (reserved) return { interaction, current, reserved, context };
    const row = await accounts.findRowByEmail(current.email);
    if (!row) return expired(ctx);
    await show(ctx, interaction, stepRefusedBeforeCheck(), { ...context, account: toAccount(row) });
    return undefined;
  };

  router.post(`${prefix}/:uid/mfa`, async (ctx) => {
    const resumed = await resume(ctx, 'mfa');
    if (!resumed) return;
    const { interaction, current, reserved, context } = resumed;
    const outcome = afterOneTimeCode(toAccount(reserved), formBody(ctx).code ?? '', current.scenario);
    await settle(ctx, interaction, reserved, outcome, context);
  });

  router.post(`${prefix}/:uid/password`, async (ctx) => {
    const resumed = await resume(ctx, 'change_password');
    if (!resumed) return;
    const { interaction, current, reserved, context } = resumed;
    const body = formBody(ctx);
    const currentPassword = body.currentPassword ?? '';
    const change = {
      currentMatches: await verifyPassword(reserved.password_hash, currentPassword),
      currentPassword,
      newPassword: body.newPassword ?? '',
      confirmPassword: body.confirmPassword ?? '',
    };
    const outcome = afterPasswordChange(toAccount(reserved), change, current.scenario);
    await settle(ctx, interaction, reserved, outcome, context);
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
