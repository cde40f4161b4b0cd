// AADSTS50055: the password has expired; the user changes it and sign-in continues.
import type { PasswordScenario } from './scenario.ts';

export const passwordExpired = {
  name: 'password_expired',
  aadsts: 'AADSTS50055',
  summary: 'NHSmail "change your password" page; after a change, sign-in continues',
  stage: 'password',
  countsAsFailedPassword: false,
  outcome: 'password_expired',
} satisfies PasswordScenario;
