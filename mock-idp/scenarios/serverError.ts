// An upstream outage: the token endpoint answers 500 with Entra's generic server error.
import type { TokenScenario } from './scenario.ts';

export const serverError = {
  name: 'server_error',
  aadsts: 'AADSTS90033',
  summary: 'Token endpoint answers HTTP 500; broker shows "NHSmail sign-in is unavailable"',
  stage: 'token',
  async handle(ctx) {
    ctx.status = 500;
    ctx.body = {
      error: 'server_error',
      error_description: 'AADSTS90033: A transient error has occurred. Please try again.',
    };
  },
} satisfies TokenScenario;
