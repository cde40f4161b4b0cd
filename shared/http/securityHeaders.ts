// Response headers every page of the three services carries: no framing (the sign-in pages must not be
// clickjacked), no MIME sniffing, and no Referer, so URLs that carry codes never leak to another site.
import type { Context, Middleware, Next } from 'koa';

export function securityHeaders(): Middleware {
  return async (ctx: Context, next: Next) => {
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Content-Security-Policy', "frame-ancestors 'none'");
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    await next();
  };
}
