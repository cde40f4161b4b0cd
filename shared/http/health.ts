// GET /healthz and GET /readyz for every service, unauthenticated and cheap.
//   /healthz  liveness: 200 {"status":"ok"} while the process serves; touches no dependency, so an
//             orchestrator never restarts a healthy process because its database is down.
//   /readyz   readiness: each named check (the database, and what else the service needs to do its
//             job) answers within a short timeout; 200 {"status":"ready","checks":{…:"up"}} when all
//             are up, else 503 {"status":"unavailable","checks":{…:"down"}} so traffic goes elsewhere.
import type { Knex } from 'knex';
import type { Context, Middleware, Next } from 'koa';
import { databaseAnswers } from '../databaseAvailability.ts';

export type ReadinessCheck = () => Promise<boolean>;

export interface HealthOptions {
  db: Knex;
  /** Further checks beside `database`, by name (e.g. the broker's `upstream`: its discovery document is loaded). */
  checks?: Readonly<Record<string, ReadinessCheck>>;
  /** How long one check may take before it counts as down. */
  timeoutMs?: number;
}

async function within(check: ReadinessCheck, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([check().catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Answers the two probes; installed first, so probes are neither logged per request nor counted. */
export function healthRoutes(options: HealthOptions): Middleware {
  const timeoutMs = options.timeoutMs ?? 2000;
  const checks: Record<string, ReadinessCheck> = {
    database: () => databaseAnswers(options.db, timeoutMs),
    ...options.checks,
  };
  return async (ctx: Context, next: Next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    if (ctx.path === '/healthz') {
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { status: 'ok' };
      return;
    }
    if (ctx.path !== '/readyz') return next();
    const names = Object.keys(checks);
    const results = await Promise.all(names.map((name) => within(checks[name] as ReadinessCheck, timeoutMs)));
    const states = Object.fromEntries(names.map((name, index) => [name, results[index] ? 'up' : 'down']));
    const ready = results.every(Boolean);
    ctx.set('Cache-Control', 'no-store');
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'unavailable', checks: states };
  };
}
