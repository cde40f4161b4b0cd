// The wording and rendering of the mock's sign-in pages (guide steps 2 and 4, and NHSmail's own
// locked, disabled, one-time code and change-password pages) in the configured skin.
import type { Context } from 'koa';
import type { NhsmailAccount } from '../directory/accounts.ts';
import { passwordRules } from '../directory/passwords.ts';
import { disabled } from '../scenarios/disabled.ts';
import { locked } from '../scenarios/locked.ts';
import type { StepError } from './signInDecision.ts';

export type Step = 'mfa' | 'change_password';

/** Why a new password was refused, in the words of the change-password page. */
const changePasswordErrors = {
  current_password_wrong: 'Your current password is not correct.',
  new_password_rules: `Your new password must have ${passwordRules.describe}.`,
  new_password_mismatch: 'The new passwords do not match.',
  new_password_unchanged: 'Your new password must be different from your current password.',
} as const satisfies Record<Exclude<StepError, 'code_wrong'>, string>;

export interface LoginPages {
  /**
   * The sign-in form of interaction `uid`, with "Incorrect user ID or password…" when `failed`. Never
   * cached: it carries this browser's form token, and its address may be the authorization request.
   */
  signIn(ctx: Context, uid: string, options?: { username?: string; failed?: boolean }): Promise<void>;
  locked(ctx: Context): Promise<void>;
  disabled(ctx: Context): Promise<void>;
  step(ctx: Context, step: Step, account: NhsmailAccount, error?: StepError): Promise<void>;
}

/** `prefix` is the interaction path; the pages' forms post below it, to their interaction's uid. */
export function loginPages(options: { prefix: string; trainerMode: boolean }): LoginPages {
  const { prefix, trainerMode } = options;
  const action = (uid: string, suffix = '') => `${prefix}/${uid}${suffix}`;
  const wording = (ctx: Context, error: StepError | undefined): string | undefined => {
    if (error === undefined) return undefined;
    return error === 'code_wrong' ? ctx.state.skin.mfaInvalid : changePasswordErrors[error];
  };
  return {
    signIn: (ctx, uid, { username = '', failed = false } = {}) => {
      ctx.set('Cache-Control', 'no-store');
      return ctx.render('login', {
        title: 'Sign in',
        action: action(uid),
        username,
        error: failed ? ctx.state.skin.invalidCredentials : undefined,
      });
    },
    locked: (ctx) => ctx.render('locked', { title: ctx.state.skin.lockedHeading, errorCode: locked.aadsts }),
    disabled: (ctx) =>
      ctx.render('disabled', { title: ctx.state.skin.disabledHeading, errorCode: disabled.aadsts }),
    step: (ctx, step, account, error) =>
      step === 'mfa'
        ? ctx.render('mfa', {
            title: ctx.state.skin.mfaHeading,
            action: action(ctx.params.uid, '/mfa'),
            error: wording(ctx, error),
            trainerCode: trainerMode ? account.mfaCode : undefined,
          })
        : ctx.render('change-password', {
            title: ctx.state.skin.expiredHeading,
            action: action(ctx.params.uid, '/password'),
            error: wording(ctx, error),
            rules: passwordRules.describe,
          }),
  };
}
