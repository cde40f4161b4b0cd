// oidc-provider answers its own endpoints' errors (token, userinfo, /auth, discovery-backed pages…)
// inside its router: anything it does not recognise becomes `server_error` with status 500 before our
// error middleware could see it. It does emit `server_error` with the original error first, so this
// listener marks the request when that error is a database outage, and the middleware, which wraps
// oidc-provider's router, turns the finished answer into the shared 503 with Retry-After: a JSON
// `temporarily_unavailable` (RFC 6749 §5.2) for clients, the "service unavailable" page for browsers.
import type { Context, Middleware, Next } from 'koa';
import type Provider from 'oidc-provider';
import { isDatabaseOutage } from '../databaseAvailability.ts';
import { jsonServiceUnavailable, renderServiceUnavailable } from '../http/unavailable.ts';

const outageMarker = Symbol('databaseOutage');

export function answerDatabaseOutages(provider: Provider): Middleware {
  provider.on('server_error', (ctx: Context, error: unknown) => {
    if (isDatabaseOutage(error)) (ctx.state as Record<symbol, boolean>)[outageMarker] = true;
  });
  return async (ctx: Context, next: Next) => {
    await next();
    if (!(ctx.state as Record<symbol, boolean>)[outageMarker]) return;
    const correlationId = String(ctx.state.correlationId ?? '');
    // oidc-provider chose JSON or a page by the Accept header; keep its choice.
    if (ctx.response.is('html')) await renderServiceUnavailable(ctx, correlationId);
    else jsonServiceUnavailable(ctx, correlationId);
  };
}
