// AADSTS50105: the signed-in user is not assigned to a role for the application.
import type { AuthorizationScenario } from './scenario.ts';

export const notAssigned = {
  name: 'not_assigned',
  aadsts: 'AADSTS50105',
  summary: 'Broker receives access_denied (user not assigned to the app) and shows its error page',
  stage: 'authorization',
  error: 'access_denied',
  errorDescription: 'AADSTS50105: The signed in user is not assigned to a role for the application.',
} satisfies AuthorizationScenario;
