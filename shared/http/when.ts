// Runs a chain of middleware only for requests that match, so that body parsing, CSRF checks and
// routers apply to the paths that need them and oidc-provider keeps reading its own request bodies.
import compose from 'koa-compose';
import type { Context, Middleware, Next } from 'koa';

// biome-ignore lint/suspicious/noExplicitAny: routers and parsers each extend the context their own way.
type AnyMiddleware = Middleware<any, any>;

export function when(matches: (ctx: Context) => boolean, ...chain: AnyMiddleware[]): Middleware {
  const composed = compose(chain);
  return (ctx: Context, next: Next) => (matches(ctx) ? composed(ctx, next) : next());
}

/** The end of a chain that found nothing: a 404 with a message. */
export const notFound: Middleware = (ctx: Context) => ctx.throw(404, `Nothing at ${ctx.method} ${ctx.path}`);
