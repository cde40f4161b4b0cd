// The wording and rendering of the mock's sign-in pages (guide steps 2 and 4, and NHSmail's own
// locked, disabled, one-time code and change-password pages) in the configured skin.
import type { Context } from 'koa';
import type { NhsmailAccount } from '../directory/accounts.ts';
import { passwordRules } from '../directory/passwords.ts';
import { disabled } from '../scenarios/disabled.ts';
import { locked } from '../scenarios/locked.ts';

export type Step = 'mfa' | 'change_password';

/** Why a new password was refused, in the words of the change-password page. */
export const changePasswordErrors = {
  currentWrong: 'Your current password is not correct.',
  rules: `Your new password must have ${passwordRules.describe}.`,
  mismatch: 'The new passwords do not match.',
  unchanged: 'Your new password must be different from your current password.',
} as const;

export interface LoginPages {
  /**
   * The sign-in form of interaction `uid`, with "Incorrect user ID or password…" when `failed`. Never
   * cached: it carries this browser's form token, and its address may be the authorization request.
   */
  signIn(ctx: Context, uid: string, options?: { username?: string; failed?: boolean }): Promise<void>;
  locked(ctx: Context): Promise<void>;
  disabled(ctx: Context): Promise<void>;
  step(ctx: Context, step: Step, account: NhsmailAccount, error?: string): Promise<void>;
}

/** `prefix` is the interaction path; the pages' forms post below it, to their interaction's uid. */
export function loginPages(options: { prefix: string; trainerMode: boolean }): LoginPages {
  const { prefix, trainerMode } = options;
  const action = (uid: string, suffix = '') => `${prefix}/${uid}${suffix}`;
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
            error,
            trainerCode: trainerMode ? account.mfaCode : undefined,
          })
        : ctx.render('change-password', {
            title: ctx.state.skin.expiredHeading,
            action: action(ctx.params.uid, '/password'),
            error,
            rules: passwordRules.describe,
          }),
  };
}
