// Refresh tokens only for sign-ins granted `offline_access`. oidc-provider drops that scope unless the
// request also says prompt=consent (OpenID Connect Core §11), "unless other conditions … are in place":
// every CQRS app is first-party and has no consent screen, so asking for offline_access is consent
// enough. This reads a GET authorization request that asks for it without any prompt as prompt=consent;
// the sign-in callback then answers that prompt with the login (see interactions/routes.ts), so it
// costs no extra step.
import type { Context, Middleware, Next } from 'koa';

export function offlineAccessIsConsent(authorizationPath: string): Middleware {
  return async (ctx: Context, next: Next) => {
    if (ctx.method === 'GET' && ctx.path === authorizationPath) {
      const { scope, prompt } = ctx.query;
      if (typeof scope === 'string' && scope.split(' ').includes('offline_access') && prompt === undefined)
        ctx.query = { ...ctx.query, prompt: 'consent' };
    }
    await next();
  };
}
