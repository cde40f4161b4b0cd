// What a sign-in at the mock leads to: the account, the armed scenario and what was submitted (the
// password, the one-time code, a new password) go in, one outcome comes out. Plain functions;
// login.ts reads and writes, loginPages.ts words the pages. Every Entra error code comes from the
// failure catalogue (scenarios/), the one place they live.
import type { NhsmailAccount } from '../directory/accounts.ts';
import { passwordRules } from '../directory/passwords.ts';
import { disabled } from '../scenarios/disabled.ts';
import { locked } from '../scenarios/locked.ts';
import { mfaRequired } from '../scenarios/mfaRequired.ts';
import { passwordExpired } from '../scenarios/passwordExpired.ts';
import type { PasswordOutcome, Scenario } from '../scenarios/scenario.ts';
import { unknownUser } from '../scenarios/unknownUser.ts';
import { wrongPassword } from '../scenarios/wrongPassword.ts';

/** Why the one-time code or change-password page is shown again; loginPages.ts words each. */
export type StepError =
  | 'code_wrong'
  | 'current_password_wrong'
  | 'new_password_rules'
  | 'new_password_mismatch'
  | 'new_password_unchanged';

/**
 * What the attempts log records: an outcome label and the Entra code it stands for. `attempt` is null
 * when nothing is recorded (the change-password page refusing what was typed).
 */
interface Recorded {
  attempt: string | null;
  errorCode: string | null;
}

/** The password this outcome stores for the account before it is shown (a password change). */
interface Changes {
  newPassword?: string;
}

export type SignInOutcome =
  /**
   * One of the IdP's own pages, with `error` when a step's page is shown again. `failedCheck`: what
   * was submitted counts as wrong toward lockout. `tokenFault` goes on with a step's page (mfa,
   * password_expired) to the end of the sign-in.
   */
  | (Recorded &
      Changes & {
        kind: 'page';
        page: PasswordOutcome;
        error?: StepError;
        failedCheck: boolean;
        tokenFault: string | null;
      })
  /** An OAuth error back to the app (Entra's error redirect). */
  | (Recorded & { kind: 'refuse'; error: string; errorDescription: string })
  /** Signed in; `tokenFault` names a token-stage scenario to apply when the code is redeemed. */
  | (Recorded & Changes & { kind: 'finish'; tokenFault: string | null });

type PageOutcome = Extract<SignInOutcome, { kind: 'page' }>;

const page = (
  shown: PasswordOutcome,
  attempt: string | null,
  errorCode: string | null,
  options: { failedCheck?: boolean; tokenFault?: string | null; error?: StepError } = {},
): PageOutcome => ({
  kind: 'page',
  page: shown,
  attempt,
  errorCode,
  failedCheck: options.failedCheck ?? false,
  tokenFault: options.tokenFault ?? null,
  ...(options.error ? { error: options.error } : {}),
});

/** Whether what was submitted counts toward lockout (the reserved check failed). */
export function failsCheck(outcome: SignInOutcome): boolean {
  return outcome.kind === 'page' && outcome.failedCheck;
}

/**
 * The failed check of `outcome` filled the last slot and locked the account. The sign-in form still
 * answers as for any wrong password (the next sign-in meets the lock); the one-time code and
 * change-password pages give way to the locked page.
 */
export function lockedBy(outcome: SignInOutcome): SignInOutcome {
  const attempt = outcome.attempt === null ? null : `${outcome.attempt}_locked`;
  if (outcome.kind === 'page' && outcome.page === 'invalid_credentials') return { ...outcome, attempt };
  return page('locked', attempt, outcome.errorCode);
}

/**
 * No password check could be reserved: an unknown user ID (the same page as a wrong password) or a
 * locked account (failures while locked neither count nor extend the lock).
 */
export function refusedBeforeCheck(account: NhsmailAccount | undefined): SignInOutcome {
  if (!account) return page('invalid_credentials', 'invalid_credentials', unknownUser.aadsts);
  return page('locked', 'locked', locked.aadsts);
}

/**
 * After the password check of an account that was not locked: undefined when the sign-in goes on to
 * the armed scenario, if any (a disabled account's sign-in never reaches one).
 */
export function afterPasswordCheck(
  account: NhsmailAccount,
  passwordMatches: boolean,
): SignInOutcome | undefined {
  if (!passwordMatches)
    return page('invalid_credentials', 'invalid_credentials', wrongPassword.aadsts, { failedCheck: true });
  if (account.state === 'disabled') return page('disabled', 'disabled', disabled.aadsts);
  return undefined;
}

/** A right password: the armed scenario decides, else the account's own state. */
export function withScenario(account: NhsmailAccount, scenario: Scenario | undefined): SignInOutcome {
  if (scenario?.stage === 'authorization') {
    return {
      kind: 'refuse',
      attempt: scenario.name,
      errorCode: scenario.aadsts,
      error: scenario.error,
      errorDescription: scenario.errorDescription,
    };
  }
  if (scenario?.stage === 'password') {
    return page(scenario.outcome, scenario.name, scenario.aadsts, {
      failedCheck: scenario.countsAsFailedPassword,
    });
  }
  const tokenFault = scenario?.name ?? null;
  // A token-stage scenario fires at the token endpoint; the attempt is recorded under its name.
  const attempt = (own: string) => scenario?.name ?? own;
  if (account.state === 'password_expired') {
    return page('password_expired', attempt('password_expired'), scenario?.aadsts ?? passwordExpired.aadsts, {
      tokenFault,
    });
  }
  if (account.mfaRequired)
    return page('mfa', attempt('mfa'), scenario?.aadsts ?? mfaRequired.aadsts, { tokenFault });
  return { kind: 'finish', attempt: attempt('success'), errorCode: null, tokenFault };
}

/**
 * A one-time code or new password arrived but no check could be reserved: the account was locked
 * meanwhile (or every check slot is taken). The locked page, logged as a sign-in form that meets a
 * locked account is.
 */
export function stepRefusedBeforeCheck(): SignInOutcome {
  return page('locked', 'locked', locked.aadsts);
}

/**
 * The one-time code typed on the code page (spaces ignored). A wrong code counts toward lockout like
 * a wrong password, so codes cannot be guessed endlessly. `tokenFault`: taken at the password step.
 */
export function afterOneTimeCode(
  account: NhsmailAccount,
  typed: string,
  tokenFault: string | null,
): SignInOutcome {
  if (typed.replace(/\s+/g, '') !== account.mfaCode) {
    return page('mfa', 'mfa_invalid_code', mfaRequired.aadsts, {
      failedCheck: true,
      error: 'code_wrong',
      tokenFault,
    });
  }
  return { kind: 'finish', attempt: 'success', errorCode: null, tokenFault };
}

export interface PasswordChange {
  /** Whether the current password typed is the account's password. */
  currentMatches: boolean;
  currentPassword: string;
  newPassword: string;
  confirmPassword: string;
}

/**
 * The change-password page of an expired password. A wrong current password counts toward lockout and
 * is logged as a wrong password on the sign-in form is; with the right one, a new password that
 * breaks a rule, is not typed the same twice or is the current one is refused with the reason (not an
 * authentication failure: not logged). A new password that passes is stored, and the sign-in goes on
 * to the one-time code when the account asks for one.
 */
export function afterPasswordChange(
  account: NhsmailAccount,
  change: PasswordChange,
  tokenFault: string | null,
): SignInOutcome {
  const refuse = (error: StepError) => page('password_expired', null, null, { error, tokenFault });
  if (!change.currentMatches)
    return page('password_expired', 'invalid_credentials', wrongPassword.aadsts, {
      error: 'current_password_wrong',
      failedCheck: true,
      tokenFault,
    });
  if (!passwordRules.check(change.newPassword)) return refuse('new_password_rules');
  if (change.newPassword !== change.confirmPassword) return refuse('new_password_mismatch');
  if (change.newPassword === change.currentPassword) return refuse('new_password_unchanged');
  const changed = { attempt: 'password_changed', errorCode: null, newPassword: change.newPassword };
  if (account.mfaRequired) return { ...page('mfa', null, null, { tokenFault }), ...changed };
  return { kind: 'finish', tokenFault, ...changed };
}
