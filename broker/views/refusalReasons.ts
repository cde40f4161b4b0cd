// Plain words for each audited sign-in refusal code, shown in the trainer-mode box of the broker's
// refusal pages (and in the illustrated guide) so trainers and testers can say why a sign-in failed.
import type { GateRefusal } from '../accounts/signInGate.ts';
import type { UpstreamFailureKind } from '../upstream/connector.ts';

export interface RefusalExplanation {
  /** One short line: what went wrong. */
  summary: string;
  /** What caused it and what puts it right, in words a help desk can repeat. */
  detail: string;
}

/** Every outcome the sign-in can refuse with: a new one fails the type check until it has words here. */
type RefusalReason =
  | GateRefusal
  | `upstream_${UpstreamFailureKind}`
  | 'state_unknown'
  | 'interaction_mismatch'
  | 'login_csrf'
  | 'email_unverified';

export const refusalReasons: Readonly<Record<RefusalReason, RefusalExplanation>> = {
  no_account: {
    summary: 'NHSmail signed the user in, but CQRS has no account for that email address.',
    detail:
      'The NHSmail email address does not match any CQRS account. A CQRS administrator must register the address before this user can sign in.',
  },
  account_suspended: {
    summary: 'NHSmail signed the user in, but their CQRS account is suspended.',
    detail:
      'A CQRS administrator suspended this account. Until it is made active again, NHSmail sign-in cannot open CQRS.',
  },
  link_mismatch: {
    summary: 'The CQRS account is linked to a different NHSmail identity.',
    detail:
      'This email address was first used by another NHSmail account. An administrator must check the account and, if it is right, unlink it so the next sign-in links it again.',
  },
  email_missing: {
    summary: 'NHSmail did not send an email address for this user.',
    detail: 'CQRS matches accounts by NHSmail email address; without one the broker cannot find the account.',
  },
  email_unverified: {
    summary: "NHSmail's tenant has not verified the domain of this email address.",
    detail:
      'The broker links a CQRS account to an NHSmail identity only when the email domain is verified by the tenant. The NHSmail administrator must check the account.',
  },
  state_unknown: {
    summary: 'The sign-in came back from NHSmail but the broker did not start it, or it had expired.',
    detail:
      'This happens after using the browser Back button, opening an old link, or waiting more than 15 minutes on the NHSmail page. Starting again from the CQRS "Sign In" button works.',
  },
  interaction_mismatch: {
    summary: 'The sign-in that came back belongs to another browser tab or session.',
    detail: 'Two sign-ins were started at once in this browser. Close the other tabs and sign in again.',
  },
  login_csrf: {
    summary: 'The sign-in was continued in a browser session that did not start it.',
    detail:
      'The browser lost its sign-in cookie (cookies blocked, or the sign-in finished in another browser). Allowing cookies for CQRS and starting again from the "Sign In" button works.',
  },
  upstream_cancelled: {
    summary: 'The user cancelled at NHSmail, or declined to let CQRS use their account.',
    detail:
      'Nothing is wrong with the account: pressing "Try signing in again" and completing NHSmail works.',
  },
  upstream_denied: {
    summary: 'NHSmail refused this user for CQRS.',
    detail:
      'The NHSmail account is not assigned to the CQRS application, or an NHSmail access policy (conditional access) blocked this sign-in, for example from this device or location. The NHSmail administrator must resolve it.',
  },
  upstream_unavailable: {
    summary: 'NHSmail failed or did not answer in time.',
    detail: 'NHSmail had a fault or was too slow. Nothing is wrong with the account: try again later.',
  },
  upstream_invalid_response: {
    summary: "NHSmail's answer failed the broker's security checks.",
    detail:
      'The broker refused a sign-in token that was wrongly signed, for another application or out of date. Report the reference number to the CQRS service team.',
  },
};

/** The explanation for an audited outcome code; an unknown code still gets a sentence naming it. */
export function explainRefusal(reason: string): RefusalExplanation {
  if (Object.hasOwn(refusalReasons, reason)) return refusalReasons[reason as RefusalReason];
  return {
    summary: 'The broker refused this sign-in.',
    detail: 'The audit trail has the decision under the reference number on this page.',
  };
}
