// AADSTS50034: the user ID is treated as unknown; the page is the same as for a wrong password.
import type { PasswordScenario } from './scenario.ts';

export const unknownUser = {
  name: 'unknown_user',
  aadsts: 'AADSTS50034',
  summary: 'Sign-in page shows "Incorrect user ID or password…" (same as a wrong password)',
  stage: 'password',
  countsAsFailedPassword: false,
  outcome: 'invalid_credentials',
} satisfies PasswordScenario;
