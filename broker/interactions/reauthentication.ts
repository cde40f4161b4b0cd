// After a user signs out of CQRS, the next sign-in in that browser asks NHSmail for the password
// again (prompt=login upstream), even though the NHSmail session may still be alive. On a shared
// practice computer, the next person to press "Sign In" must not silently become the previous user.
import type { Context, Middleware, Next } from 'koa';

const cookieName = 'cqrs_broker_reauthenticate';
const lifetimeMs = 12 * 60 * 60 * 1000;

/** Marks the browser after oidc-provider confirms an RP-initiated logout (POST <end_session>/confirm). */
export function rememberSignOut(options: { confirmPath: string; secureCookies: boolean }): Middleware {
  return async (ctx: Context, next: Next) => {
    await next();
    const confirmed =
      ctx.method === 'POST' && ctx.path === options.confirmPath && ctx.status >= 300 && ctx.status < 400;
    if (!confirmed) return;
    ctx.cookies.set(cookieName, '1', {
      signed: true,
      httpOnly: true,
      sameSite: 'lax',
      secure: options.secureCookies,
      maxAge: lifetimeMs,
      overwrite: true,
    });
  };
}

export function mustReauthenticate(ctx: Context): boolean {
  return ctx.cookies.get(cookieName, { signed: true }) === '1';
}

/** A completed sign-in (with the password, as asked) ends the requirement. */
export function clearReauthentication(ctx: Context): void {
  if (ctx.cookies.get(cookieName)) ctx.cookies.set(cookieName, null, { overwrite: true });
}
