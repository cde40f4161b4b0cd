// A slow upstream: the token endpoint waits (MOCK_SLOW_RESPONSE_MS) before answering, past the
// broker's upstream timeout.
import { setTimeout as delay } from 'node:timers/promises';
import type { TokenScenario } from './scenario.ts';

export const slowResponse = {
  name: 'slow',
  aadsts: null,
  summary: 'Token endpoint answers only after a long delay; broker times out and shows "unavailable"',
  stage: 'token',
  async handle(_ctx, next, tools) {
    await delay(tools.slowResponseMs);
    await next();
  },
} satisfies TokenScenario;
