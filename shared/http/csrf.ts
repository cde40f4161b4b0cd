// CSRF protection for server-rendered forms: a per-browser secret in a signed, httpOnly cookie and a
// token derived from it in each form (the `csrf` package does the token cryptography).
import Tokens from 'csrf';
import type { Context, Middleware, Next } from 'koa';

const tokens = new Tokens();
/** `cookieName` differs per service: cookies ignore ports, and the services share a host in development. */
export function csrfProtection(options: { secureCookies: boolean; cookieName: string }): Middleware {
  const { cookieName } = options;
  return async (ctx: Context, next: Next) => {
    let secret = ctx.cookies.get(cookieName, { signed: true });
    if (!secret) {
      secret = tokens.secretSync();
      ctx.cookies.set(cookieName, secret, {
        signed: true,
        httpOnly: true,
        sameSite: 'lax',
        secure: options.secureCookies,
        overwrite: true,
      });
    }
    if (ctx.method === 'POST') {
      const body = (ctx.request as { body?: Record<string, unknown> }).body ?? {};
      const presented = typeof body._csrf === 'string' ? body._csrf : '';
      ctx.assert(tokens.verify(secret, presented), 403, 'The form has expired. Go back and try again.');
    }
    ctx.state.csrfToken = tokens.create(secret);
    await next();
  };
}
