// The words of the illustrated guide: the sign-in steps and the appendix of failures. Screen wording
// is quoted from the pages themselves (the mock's skin, the broker's fixed texts); everything else is
// the project's own explanation for trainers and help desks.
import { explainRefusal } from '../../broker/views/refusalReasons.ts';
import type { SkinText } from '../../mock-idp/views/skins.ts';

export interface Step {
  number: number;
  text: string;
  screen: string;
  caption: string;
}

export interface Trigger {
  /** Which seeded persona shows it, and how. */
  persona: string;
  /** A command line for the same failure on a running system (development defaults). */
  command?: string;
  /** The same through the mock's control API. */
  curl?: string;
}

export interface Failure {
  id: string;
  title: string;
  screen: string;
  /** What the page says, quoted. */
  sees: string;
  cause: string;
  tell: string;
  trigger: Trigger;
  /** The broker's audited outcome code, for refusals the broker decides. */
  reason?: string;
}

export const authenticationErrorText =
  'We seem to be having trouble authenticating your account. Please try again. If you continue to receive this error, please contact the CQRS Help Desk.';

const password = 'Passw0rd-2020';
const jane = 'jane.smith@nhs.net';

/** The tester's command line and curl that arm a scenario for Jane's next sign-in. */
function armed(scenario: string): Pick<Trigger, 'command' | 'curl'> {
  return {
    command: `npm run mock-idp -- next-sign-in ${scenario} --account ${jane}`,
    curl: [
      'curl -X POST http://localhost:3001/_mock/next-sign-in \\',
      "  -H 'Authorization: Bearer mock-control-development-token' \\",
      "  -H 'Content-Type: application/json' \\",
      `  -d '{"account":"${jane}","scenario":"${scenario}"}'`,
    ].join('\n'),
  };
}

const signInAsJane = `Sign in as ${jane} (password ${password}) after arming the scenario below; it fires once.`;

export function guideSteps(skin: SkinText): Step[] {
  return [
    {
      number: 1,
      text: 'Users start at the CQRS home page and press the “Sign In” button. This begins signing in to CQRS with their NHSmail account.',
      screen: 'step-1-sign-in-button',
      caption: 'The CQRS home page with the “Sign In” button.',
    },
    {
      number: 2,
      text: `CQRS sends the browser to the NHSmail sign-in page, headed “${skin.signInHeading}”. The user enters their NHSmail email address and password, then presses “${skin.signInButton}”.`,
      screen: 'step-2-nhsmail-sign-in',
      caption: 'The NHSmail sign-in page.',
    },
    {
      number: 3,
      text: 'A user who has a CQRS account now sees their CQRS message centre and uses CQRS as usual.',
      screen: 'step-3-message-centre',
      caption: 'The CQRS message centre after signing in.',
    },
    {
      number: 4,
      text: `A user without an NHSmail account, or who types a wrong user ID or password, does not get past NHSmail: the page says “${skin.invalidCredentials}” Someone who has no NHSmail account must ask for one through the usual NHS process.`,
      screen: 'step-4-incorrect-user-id-or-password',
      caption: 'NHSmail refuses the user ID or password.',
    },
    {
      number: 5,
      text: `A user whom NHSmail signs in, but whose email address has no CQRS account, sees the CQRS “Authentication Error” page: “${authenticationErrorText}”`,
      screen: 'step-5-authentication-error',
      caption: 'The CQRS Authentication Error page.',
    },
  ];
}

/** A refusal the broker decides and audits; `cause` replaces the generic words for that code. */
function refusal(reason: string, cause?: string): Pick<Failure, 'reason' | 'cause'> {
  const why = explainRefusal(reason);
  return { reason, cause: cause ?? `${why.summary} ${why.detail}` };
}

export function failures(skin: SkinText): Failure[] {
  return [
    {
      id: 'wrong-password',
      title: 'Wrong password or unknown user',
      screen: 'failure-wrong-password',
      sees: `The NHSmail sign-in page again, with “${skin.invalidCredentials}”`,
      cause:
        'The password is wrong, or NHSmail has no account with that user ID. NHSmail gives the same answer for both, so nobody can find out which addresses have accounts. Wrong passwords count towards a lock (10 in a row).',
      tell: `Check that the user ID is the full NHSmail address (for example ${jane}) and type the password again carefully. A forgotten password is reset through “${skin.unlockLink}”.`,
      trigger: {
        persona: `Any seeded user ID with a wrong password, or an address NHSmail does not know (for example nobody@nhs.net). The scenario below makes Jane's next sign-in look like an unknown user even with the right password.`,
        ...armed('unknown_user'),
      },
    },
    {
      id: 'locked',
      title: 'NHSmail account locked',
      screen: 'failure-locked',
      sees: `“${skin.lockedHeading}”, with the link “${skin.unlockLink}”.`,
      cause:
        'NHSmail locked the account, usually after too many wrong passwords or codes in a row. A lock from wrong passwords runs out after a while.',
      tell: `Use “${skin.unlockLink}” to unlock the account or reset the password, or contact the local NHSmail administrator. The CQRS help desk cannot unlock NHSmail accounts.`,
      trigger: {
        persona: `locked.user@nhs.net (password ${password}), or 10 wrong passwords in a row for any account; the scenario below shows the page once for Jane.`,
        ...armed('locked'),
      },
    },
    {
      id: 'disabled',
      title: 'NHSmail account disabled',
      screen: 'failure-disabled',
      sees: `“${skin.disabledHeading}”: “${skin.disabledBody}”`,
      cause: 'The NHSmail account has been disabled, for example because the user left the organisation.',
      tell: 'Contact the local NHSmail administrator to have the account enabled again; CQRS cannot do it.',
      trigger: { persona: `disabled.user@nhs.net (password ${password}).`, ...armed('disabled') },
    },
    {
      id: 'password-expired',
      title: 'NHSmail password expired',
      screen: 'failure-password-expired',
      sees: `“${skin.expiredHeading}”: “${skin.expiredBody}”`,
      cause: 'The NHSmail password is out of date and must be changed before signing in.',
      tell: 'Enter the current password, choose a new one and confirm it. Signing in then carries on to CQRS.',
      trigger: {
        persona: `expired.password@nhs.net (password ${password}). A new password needs 8 or more characters with upper and lower case letters and a number.`,
        ...armed('password_expired'),
      },
    },
    {
      id: 'one-time-code',
      title: 'One-time code',
      screen: 'failure-one-time-code',
      sees: `“${skin.mfaHeading}”; after a wrong code, “${skin.mfaInvalid}”`,
      cause:
        'NHSmail asks this account for a second step: the one-time code from an authenticator app. A wrong or old code is refused; repeated wrong codes lock the account.',
      tell: 'Enter the code the authenticator app shows now, before it changes. A user who no longer has the app must contact the local NHSmail administrator.',
      trigger: {
        persona:
          'mfa.user@nhs.net with a wrong code; its right code is 324587 (trainer mode shows it under the box).',
        ...armed('mfa_required'),
      },
    },
    {
      id: 'cancelled',
      title: 'Consent declined or sign-in cancelled',
      screen: 'failure-cancelled',
      sees: 'The CQRS page “Sign-in was cancelled”, with a “Try signing in again” button.',
      ...refusal('upstream_cancelled'),
      tell: 'Nothing is wrong with the account. Press “Try signing in again” and finish signing in to NHSmail; if NHSmail asks for permission for CQRS, accept it.',
      trigger: {
        persona: `Any persona: press “Cancel” on the NHSmail page. ${signInAsJane}`,
        ...armed('consent_declined'),
      },
    },
    {
      id: 'not-assigned',
      title: 'Not assigned to CQRS',
      screen: 'failure-not-assigned',
      sees: `The CQRS “Authentication Error” page, with a reference number.`,
      ...refusal(
        'upstream_denied',
        'NHSmail signed the user in but refused to let CQRS have them: their NHSmail account is not assigned to the CQRS application (Entra error AADSTS50105).',
      ),
      tell: 'Note the reference number. The user’s NHSmail account is not allowed to use CQRS: their local NHSmail administrator must give it access.',
      trigger: { persona: signInAsJane, ...armed('not_assigned') },
    },
    {
      id: 'conditional-access',
      title: 'Blocked by conditional access',
      screen: 'failure-conditional-access',
      sees: 'The CQRS “Authentication Error” page, with a reference number.',
      ...refusal(
        'upstream_denied',
        'An NHSmail access policy (conditional access) blocked this sign-in, for example because of the device, network or location it came from (Entra error AADSTS53003).',
      ),
      tell: 'Note the reference number. Ask the user to sign in from their usual work computer and network; if that is refused too, the local NHSmail administrator must check their access policy.',
      trigger: { persona: signInAsJane, ...armed('conditional_access') },
    },
    {
      id: 'nhsmail-unavailable',
      title: 'NHSmail unavailable',
      screen: 'failure-nhsmail-unavailable',
      sees: 'The CQRS page “NHSmail sign-in is unavailable”, with a “Try again” button.',
      ...refusal('upstream_unavailable'),
      tell: 'Nothing is wrong with the account. Try again in a few minutes; if it goes on, record the reference numbers and check NHSmail’s service status.',
      trigger: { persona: signInAsJane, ...armed('server_error') },
    },
    {
      id: 'timeout',
      title: 'NHSmail too slow (timeout)',
      screen: 'failure-timeout',
      sees: 'The CQRS page “NHSmail sign-in is unavailable”, after a wait.',
      ...refusal('upstream_unavailable'),
      tell: 'As for NHSmail unavailable: try again in a few minutes.',
      trigger: {
        persona: `${signInAsJane} The broker gives up after UPSTREAM_TIMEOUT_MS (5 seconds by default); the mock holds its answer for MOCK_SLOW_RESPONSE_MS (15 seconds).`,
        ...armed('slow'),
      },
    },
    {
      id: 'no-cqrs-account',
      title: 'No CQRS account',
      screen: 'step-5-authentication-error',
      sees: `The CQRS “Authentication Error” page (step 5): “${authenticationErrorText}”`,
      ...refusal('no_account'),
      tell: 'Check that the user signed in with the NHSmail address their organisation registered for CQRS. If they should have access, their organisation asks for a CQRS account for that address.',
      trigger: {
        persona: `no.cqrs@nhs.net (password ${password}).`,
        command:
          'npm run mock-idp -- accounts create new.user@nhs.net --given-name New --family-name User   # NHSmail only, no CQRS account',
      },
    },
    {
      id: 'suspended-account',
      title: 'Suspended CQRS account',
      screen: 'failure-suspended-account',
      sees: 'The CQRS “Authentication Error” page, with a reference number.',
      ...refusal('account_suspended'),
      tell: 'The CQRS account is suspended. The user’s organisation must ask the CQRS service to make it active again.',
      trigger: {
        persona: `suspended.user@nhs.net (password ${password}).`,
        command: `npm run cqrs-broker -- accounts suspend ${jane}`,
      },
    },
  ];
}
