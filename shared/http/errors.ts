// Correlation ids, request logging and the one error-handling middleware each service installs.
// Users see generic text and the correlation id; the log line carries the detail under the same id.
// It renders the ServiceError family (shared/errors.ts) by its status, code and expose; a database
// outage, wherever it surfaces, becomes a 503 "service unavailable" answer with Retry-After.
import { randomUUID } from 'node:crypto';
import type { Context, Middleware, Next } from 'koa';
import { classifyDatabaseError } from '../databaseAvailability.ts';
import { isServiceError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { jsonServiceUnavailable, renderServiceUnavailable, wantsJson } from './unavailable.ts';

export interface ErrorView {
  status: number;
  correlationId: string;
  /** Safe text for the user: the error's own message only when it is marked `expose`. */
  message: string | undefined;
}

/** Gives every request a correlation id (header `x-correlation-id`) and logs it once finished. */
export function correlationAndLogging(logger: Logger): Middleware {
  return async (ctx: Context, next: Next) => {
    const correlationId = randomUUID();
    ctx.state.correlationId = correlationId;
    ctx.set('x-correlation-id', correlationId);
    const started = performance.now();
    try {
      await next();
    } finally {
      // The path only: query strings carry codes and state values that must not reach the log.
      logger.info(
        {
          correlationId,
          method: ctx.method,
          path: ctx.path,
          status: ctx.status,
          ms: Math.round(performance.now() - started),
        },
        'request',
      );
    }
  };
}

/** The `error` of a JSON error answer, so that a client can tell a conflict from bad input. */
const jsonErrorCodes: Readonly<Record<number, string>> = {
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
};

/**
 * Catches everything below it. 4xx errors marked `expose` keep their message; anything else becomes
 * generic text. `render` draws the service's own error page; API paths answer JSON, with the
 * ServiceError's own code. A 503 (a database outage among them) is the shared "service unavailable"
 * answer with Retry-After: JSON on API paths and for callers that ask for JSON, else the page.
 */
export function errorHandler(
  logger: Logger,
  render: (ctx: Context, view: ErrorView) => Promise<void>,
  options: { jsonPathPrefix?: string } = {},
): Middleware {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
    } catch (thrown) {
      const caught = classifyDatabaseError(thrown);
      const error = caught as { status?: number; statusCode?: number; expose?: boolean; message?: string };
      const status = error.status ?? error.statusCode ?? 500;
      const correlationId = String(ctx.state.correlationId ?? randomUUID());
      if (status >= 500) logger.error({ correlationId, err: caught }, 'request failed');
      else logger.warn({ correlationId, status, message: error.message }, 'request refused');
      // Our own ctx.throw messages are written for users; oidc-provider's are bare error codes.
      const isProviderError =
        typeof (caught as { error_description?: unknown }).error_description === 'string';
      const message = status < 500 && error.expose && !isProviderError ? error.message : undefined;
      const json = options.jsonPathPrefix !== undefined && ctx.path.startsWith(options.jsonPathPrefix);
      if (status === 503) {
        // A program (an OAuth client calling a token endpoint) gets JSON wherever the outage surfaced.
        if (json || wantsJson(ctx)) jsonServiceUnavailable(ctx, correlationId);
        else await renderServiceUnavailable(ctx, correlationId);
        return;
      }
      ctx.status = status;
      if (json) {
        const code = isServiceError(caught)
          ? caught.code
          : (jsonErrorCodes[status] ?? (status < 500 ? 'bad_request' : 'server_error'));
        ctx.body = { error: code, message: message ?? 'Something went wrong', correlation_id: correlationId };
        return;
      }
      await render(ctx, { status, correlationId, message });
    }
  };
}
