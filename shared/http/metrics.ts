// What every service's Prometheus endpoint shares: one registry per app instance (instances built in
// one process, as in tests, never share counters), the process's default metrics, the SQL statements
// its database layer sent (`db_statements_total`, unprefixed: the benchmark reads it by that name),
// HTTP request durations by route template, and GET /metrics behind `Authorization: Bearer
// <METRICS_TOKEN>` (no token configured, no endpoint).
import { timingSafeEqual } from 'node:crypto';
import type { Knex } from 'knex';
import type { Context, Middleware, Next } from 'koa';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { statementsExecuted } from '../database.ts';

export interface ServiceMetrics {
  registry: Registry;
  /** The service's own metric names start with this (`cqrs_broker_`, `mock_idp_`, `cqrs_app_`). */
  prefix: string;
  /** Serves GET /metrics; times every other request below it by method, route template and status. */
  middleware(): Middleware;
}

/**
 * The route a request matched, as its template (`/interaction/:uid`), never the raw path: raw paths
 * carry ids and would give every request a series of its own.
 */
function routeOf(ctx: Context): string {
  const matched = (ctx as { _matchedRoute?: unknown })._matchedRoute;
  if (typeof matched === 'string') return matched;
  if (ctx.path.startsWith('/assets/')) return '/assets';
  return ctx.status === 404 ? 'not_found' : 'other';
}

export function createServiceMetrics(options: {
  prefix: string;
  db: Knex;
  token: string | undefined;
}): ServiceMetrics {
  const { prefix, db, token } = options;
  const registry = new Registry();
  // The event-loop delay is sampled every 100 ms. prom-client's default, 10 ms, wakes an idle service
  // 100 times a second: each service spent 8-9 CPU-ms a second doing nothing (2-3 with 100 ms, measured
  // with /proc on this project's 2-core machine). Stalls of 100 ms or more
  // still show in the lag percentiles; shorter ones may fall between samples.
  collectDefaultMetrics({ register: registry, prefix, eventLoopMonitoringPrecision: 100 });
  new Counter({
    name: 'db_statements_total',
    help: 'SQL statements this service has sent to its database since it started',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(statementsExecuted(db));
    },
  });
  const duration = new Histogram({
    name: `${prefix}http_request_duration_seconds`,
    help: 'HTTP request duration by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return {
    registry,
    prefix,
    middleware() {
      return async (ctx: Context, next: Next) => {
        if (ctx.path === '/metrics' && ctx.method === 'GET') return serveMetrics(ctx, registry, token);
        const stop = duration.startTimer();
        try {
          await next();
        } finally {
          stop({ method: ctx.method, route: routeOf(ctx), status: String(ctx.status) });
        }
      };
    },
  };
}

/** Answers without throwing: this middleware sits outside the error handler so it sees final statuses. */
async function serveMetrics(ctx: Context, registry: Registry, token: string | undefined): Promise<void> {
  if (!token) {
    ctx.status = 404;
    ctx.body = { error: 'not_found', message: 'Metrics are off: METRICS_TOKEN is not set.' };
    return;
  }
  const expected = Buffer.from(token);
  const header = ctx.get('authorization');
  const presented = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
    ctx.status = 401;
    ctx.set('WWW-Authenticate', 'Bearer realm="metrics"');
    ctx.body = { error: 'unauthorized', message: 'A bearer token is required for the metrics.' };
    return;
  }
  ctx.set('Cache-Control', 'no-store');
  ctx.type = registry.contentType;
  ctx.body = await registry.metrics();
}
