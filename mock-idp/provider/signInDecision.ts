// What a sign-in at the mock leads to: the account, the password check and any armed scenario go in,
// one outcome comes out. Plain functions; login.ts reads and writes, loginPages.ts words the pages.
// Every Entra error code comes from the failure catalogue (scenarios/), the one place they live.
import type { NhsmailAccount } from '../directory/accounts.ts';
import { disabled } from '../scenarios/disabled.ts';
import { locked } from '../scenarios/locked.ts';
import { mfaRequired } from '../scenarios/mfaRequired.ts';
import { passwordExpired } from '../scenarios/passwordExpired.ts';
import type { PasswordOutcome, Scenario } from '../scenarios/scenario.ts';
import { unknownUser } from '../scenarios/unknownUser.ts';
import { wrongPassword } from '../scenarios/wrongPassword.ts';

/** What the attempts log records: an outcome label and the Entra code it stands for. */
interface Recorded {
  attempt: string;
  errorCode: string | null;
}

export type SignInOutcome =
  /** One of the IdP's own pages; `failedCheck`: the password counts as wrong toward lockout. */
  | (Recorded & { kind: 'page'; page: PasswordOutcome; failedCheck: boolean; tokenFault: string | null })
  /** An OAuth error back to the app (Entra's error redirect). */
  | (Recorded & { kind: 'refuse'; error: string; errorDescription: string })
  /** Signed in; `tokenFault` names a token-stage scenario to apply when the code is redeemed. */
  | (Recorded & { kind: 'finish'; tokenFault: string | null });

const page = (
  shown: PasswordOutcome,
  attempt: string,
  errorCode: string | null,
  options: { failedCheck?: boolean; tokenFault?: string | null } = {},
): SignInOutcome => ({
  kind: 'page',
  page: shown,
  attempt,
  errorCode,
  failedCheck: options.failedCheck ?? false,
  tokenFault: options.tokenFault ?? null,
});

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
