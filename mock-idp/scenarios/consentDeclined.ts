// AADSTS65004: the user declined consent or cancelled; Entra redirects back with access_denied.
import type { AuthorizationScenario } from './scenario.ts';

export const consentDeclined = {
  name: 'consent_declined',
  aadsts: 'AADSTS65004',
  summary: 'Broker receives access_denied and shows "sign-in was cancelled"',
  stage: 'authorization',
  error: 'access_denied',
  errorDescription: 'AADSTS65004: User declined to consent to access the app.',
} satisfies AuthorizationScenario;
