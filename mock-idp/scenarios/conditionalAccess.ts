// AADSTS53003: access has been blocked by Conditional Access policies.
import type { AuthorizationScenario } from './scenario.ts';

export const conditionalAccess = {
  name: 'conditional_access',
  aadsts: 'AADSTS53003',
  summary: 'Broker receives access_denied (blocked by conditional access) and shows its error page',
  stage: 'authorization',
  error: 'access_denied',
  errorDescription: 'AADSTS53003: Access has been blocked by Conditional Access policies.',
} satisfies AuthorizationScenario;
