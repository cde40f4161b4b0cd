// Prometheus metrics for operators: sign-in decisions by outcome (the same codes as the audit trail)
// and the process's own health. One registry per broker, so instances built in one process (tests)
// never share counters.
import { timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { Counter, collectDefaultMetrics, Registry } from 'prom-client';
import type { AuditEvent } from './accounts/audit.ts';

export interface BrokerMetrics {
  registry: Registry;
  /** Counts a stored audit event when it is a sign-in decision. */
  observe(event: AuditEvent): void;
}

export function createMetrics(): BrokerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'cqrs_broker_' });
  const signIns = new Counter({
    name: 'cqrs_broker_sign_ins_total',
    help: 'Sign-in decisions by outcome: success, or the refusal reason code',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  return {
    registry,
    observe(event) {
      if (event.event === 'sign_in') signIns.inc({ outcome: event.outcome });
    },
  };
}

/** GET /metrics with `Authorization: Bearer <METRICS_TOKEN>`; absent when no token is configured. */
export async function serveMetrics(
  ctx: Context,
  metrics: BrokerMetrics,
  token: string | undefined,
): Promise<void> {
  if (!token) ctx.throw(404, `Nothing at ${ctx.method} ${ctx.path}`);
  const expected = Buffer.from(token);
  const header = ctx.get('authorization');
  const presented = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
    ctx.set('WWW-Authenticate', 'Bearer realm="metrics"');
    ctx.throw(401, 'A bearer token is required for the metrics.');
  }
  ctx.type = metrics.registry.contentType;
  ctx.body = await metrics.registry.metrics();
}
