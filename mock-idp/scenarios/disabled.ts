// AADSTS50057: the account is disabled.
import type { PasswordScenario } from './scenario.ts';

export const disabled = {
  name: 'disabled',
  aadsts: 'AADSTS50057',
  summary: 'NHSmail "account disabled" page',
  stage: 'password',
  countsAsFailedPassword: false,
  outcome: 'disabled',
} satisfies PasswordScenario;
