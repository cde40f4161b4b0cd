// The one answer every service gives while a dependency it cannot work without (the database) is down:
// status 503 with Retry-After, and either the NHS-styled "Sorry, the service is unavailable" page or a
// JSON error, with the correlation id that the help desk can find in the log.
import path from 'node:path';
import ejs from 'ejs';
import type { Context } from 'koa';

/** Seconds a client should wait before trying again; short, since outages here are usually brief. */
export const retryAfterSeconds = 30;

const view = path.join(import.meta.dirname, '..', 'views', 'service-unavailable.ejs');

/** Whether the caller is a program (an OAuth client, a script) rather than a browser asking for a page. */
export function wantsJson(ctx: Context): boolean {
  return ctx.accepts('html', 'json') !== 'html';
}

/** Renders the page with the service's own header (ctx.state: serviceName, navigation, helpDesk). */
export async function renderServiceUnavailable(ctx: Context, correlationId: string): Promise<void> {
  ctx.status = 503;
  ctx.set('Retry-After', String(retryAfterSeconds));
  ctx.type = 'html';
  ctx.body = await ejs.renderFile(view, {
    serviceName: 'Calculating Quality Reporting Service',
    ...ctx.state,
    title: 'Sorry, the service is unavailable',
    correlationId,
  });
}

/** The JSON answer for APIs and OAuth endpoints (RFC 6749 §5.2 names `temporarily_unavailable`). */
export function jsonServiceUnavailable(ctx: Context, correlationId: string): void {
  ctx.status = 503;
  ctx.set('Retry-After', String(retryAfterSeconds));
  ctx.body = {
    error: 'temporarily_unavailable',
    error_description: 'The service is temporarily unavailable; try again later.',
    correlation_id: correlationId,
  };
}
