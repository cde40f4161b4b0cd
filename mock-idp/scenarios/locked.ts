// AADSTS50053: the account is locked (seeded state, tester lock, or too many wrong passwords).
import type { PasswordScenario } from './scenario.ts';

export const locked = {
  name: 'locked',
  aadsts: 'AADSTS50053',
  summary: 'NHSmail "account locked" page with the unlock link',
  stage: 'password',
  countsAsFailedPassword: false,
  outcome: 'locked',
} satisfies PasswordScenario;
