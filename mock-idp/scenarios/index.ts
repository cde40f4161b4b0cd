// The failure catalogue: every scenario by name.
import { algNone } from './algNone.ts';
import { badSignature } from './badSignature.ts';
import { conditionalAccess } from './conditionalAccess.ts';
import { consentDeclined } from './consentDeclined.ts';
import { disabled } from './disabled.ts';
import { expiredIdToken } from './expiredIdToken.ts';
import { locked } from './locked.ts';
import { mfaRequired } from './mfaRequired.ts';
import { nonceMismatch } from './nonceMismatch.ts';
import { notAssigned } from './notAssigned.ts';
import { passwordExpired } from './passwordExpired.ts';
import type { Scenario } from './scenario.ts';
import { serverError } from './serverError.ts';
import { slowResponse } from './slowResponse.ts';
import { unknownKid } from './unknownKid.ts';
import { unknownUser } from './unknownUser.ts';
import { wrongAudience } from './wrongAudience.ts';
import { wrongIssuer } from './wrongIssuer.ts';
import { wrongPassword } from './wrongPassword.ts';

export type { Scenario } from './scenario.ts';

export const scenarios: readonly Scenario[] = [
  wrongPassword,
  unknownUser,
  locked,
  disabled,
  passwordExpired,
  mfaRequired,
  consentDeclined,
  notAssigned,
  conditionalAccess,
  serverError,
  slowResponse,
  badSignature,
  wrongIssuer,
  wrongAudience,
  nonceMismatch,
  expiredIdToken,
  unknownKid,
  algNone,
];

const byName = new Map(scenarios.map((scenario) => [scenario.name, scenario]));

export function findScenario(name: string): Scenario | undefined {
  return byName.get(name);
}

export const scenarioNames = scenarios.map((scenario) => scenario.name);
