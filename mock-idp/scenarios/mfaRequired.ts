// AADSTS50076: a second factor is required; the one-time code page follows the password.
import type { PasswordScenario } from './scenario.ts';

export const mfaRequired = {
  name: 'mfa_required',
  aadsts: 'AADSTS50076',
  summary: 'NHSmail one-time code page (code shown in trainer mode), then sign-in continues',
  stage: 'password',
  countsAsFailedPassword: false,
  outcome: 'mfa',
} satisfies PasswordScenario;
