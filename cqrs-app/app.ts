// Builds the CQRS app stand-in. Does nothing at import time; main.ts listens.
import path from 'node:path';
import { bodyParser } from '@koa/bodyparser';
import type { Knex } from 'knex';
import Koa, { type Context, type Next } from 'koa';
import session from 'koa-session';
import views from 'koa-views';
import { staticAssets } from '../shared/http/assets.ts';
import { signedCookieKeys } from '../shared/http/cookieKeys.ts';
import { csrfProtection } from '../shared/http/csrf.ts';
import { correlationAndLogging, errorHandler } from '../shared/http/errors.ts';
import { healthRoutes } from '../shared/http/health.ts';
import { securityHeaders } from '../shared/http/securityHeaders.ts';
import { trustProxies } from '../shared/http/trustedProxies.ts';
import { when } from '../shared/http/when.ts';
import type { Logger } from '../shared/logger.ts';
import { ensureCookieKeys } from '../shared/oidc/keyStore.ts';
import { BrokerClient } from './brokerClient.ts';
import type { CqrsAppConfig } from './config.ts';
import { createAppMetrics } from './metrics.ts';
import { appRoutes } from './routes.ts';
import { knexSessionStore } from './sessionStore.ts';

export async function createCqrsApp(config: CqrsAppConfig, deps: { db: Knex; logger: Logger }): Promise<Koa> {
  const { db, logger } = deps;
  const app = new Koa();
  app.keys = signedCookieKeys(await ensureCookieKeys(db));
  const client = new BrokerClient(config);
  const metrics = createAppMetrics({ db, token: config.metricsToken });
  metrics.instrument(client);

  app.use(trustProxies(app, config.trustProxy));
  app.use(healthRoutes({ db }));
  app.use(metrics.middleware());
  app.use(correlationAndLogging(logger));
  app.use(securityHeaders());
  // Before the error handler's try block, so that its error page has the layout's header whatever failed.
  app.use(async (ctx: Context, next: Next) => {
    ctx.state.serviceName = 'Calculating Quality Reporting Service';
    ctx.state.serviceHref = '/';
    await next();
  });
  app.use(
    errorHandler(logger, async (ctx, view) => {
      ctx.type = 'html';
      await ctx.render('error', {
        title: 'Something went wrong',
        correlationId: view.correlationId,
        message: view.message,
      });
    }),
  );
  app.use(staticAssets());
  app.use(views(path.join(import.meta.dirname, 'views'), { extension: 'ejs' }));
  app.use(
    session(
      {
        key: 'cqrs_app_session',
        maxAge: 8 * 60 * 60 * 1000,
        httpOnly: true,
        signed: true,
        sameSite: 'lax',
        secure: config.secureCookies,
        renew: true,
        store: knexSessionStore(db),
      },
      app,
    ),
  );
  const isBackchannel = (ctx: Context) => ctx.path === '/auth/backchannel-logout';
  app.use(bodyParser({ enableTypes: ['form'], formLimit: '64kb' }));
  // Back-channel logout is a server-to-server call authenticated by its signed token, not a form.
  app.use(
    when(
      (ctx) => !isBackchannel(ctx),
      csrfProtection({ secureCookies: config.secureCookies, cookieName: 'cqrs_app_csrf' }),
    ),
  );
  app.use(async (ctx: Context, next: Next) => {
    const user = (ctx.session as { user?: unknown } | null)?.user;
    ctx.state.navigation = [
      { href: '/', text: 'Home' },
      ...(user
        ? [
            { href: '/messages', text: 'Message centre' },
            { href: '/auth/logout', text: 'Sign out', method: 'post', csrfToken: ctx.state.csrfToken },
          ]
        : []),
    ];
    await next();
  });
  app.use(appRoutes({ config, db, client, logger }).routes());
  return app;
}
