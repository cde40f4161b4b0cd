// AADSTS50126: the password is treated as wrong even when it is right (step 4 of the guide).
import type { PasswordScenario } from './scenario.ts';

export const wrongPassword = {
  name: 'wrong_password',
  aadsts: 'AADSTS50126',
  summary: 'Sign-in page shows "Incorrect user ID or password…"; counts toward lockout',
  stage: 'password',
  countsAsFailedPassword: true,
  outcome: 'invalid_credentials',
} satisfies PasswordScenario;
