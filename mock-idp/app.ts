// Builds the mock NHSmail IdP: the Entra-shaped provider with the sign-in pages, the tester control API
// and the tester landing page in front of it. Does nothing at import time; main.ts listens.
import { bodyParser } from '@koa/bodyparser';
import type { Knex } from 'knex';
import type { Context, Next } from 'koa';
import views from 'koa-views';
import path from 'node:path';
import type Provider from 'oidc-provider';
import { seededPassword } from '../seeds/personas.ts';
import { ServiceError } from '../shared/errors.ts';
import { staticAssets } from '../shared/http/assets.ts';
import { csrfProtection } from '../shared/http/csrf.ts';
import { correlationAndLogging, errorHandler } from '../shared/http/errors.ts';
import { healthRoutes } from '../shared/http/health.ts';
import { createClientCache } from '../shared/oidc/clientCache.ts';
import { answerDatabaseOutages } from '../shared/oidc/databaseOutage.ts';
import { adapterRequestScope } from '../shared/oidc/requestScope.ts';
import { createMockMetrics } from './metrics.ts';
import { securityHeaders } from '../shared/http/securityHeaders.ts';
import { trustProxies } from '../shared/http/trustedProxies.ts';
import type { Logger } from '../shared/logger.ts';
import type { MockIdpConfig } from './config.ts';
import { controlRoutes } from './control/api.ts';
import { homeRoutes } from './control/home.ts';
import { trainerPanel } from './control/trainerPanel.ts';
import { loginRoutes } from './provider/login.ts';
import { loadArmedCounts } from './scenarios/armed.ts';
import { createMockProvider, entraRoutes } from './provider/provider.ts';
import { tokenFaults } from './provider/tokenFaults.ts';
import { frontchannelAfterConfirm } from './provider/logout.ts';
import { notFound, when } from '../shared/http/when.ts';
import { skins } from './views/skins.ts';

export interface MockIdp {
  app: Provider;
  config: MockIdpConfig;
  /**
   * Checks the client registry version now and forgets the clients read if it moved; the mock also
   * does so every MOCK_CLIENT_REFRESH_MS. Resolves once a change committed before the call is in use.
   */
  refreshClients(): Promise<void>;
  /** Stops following the client registry: await it before closing the database. */
  stop(): Promise<void>;
}

export async function createMockIdp(
  config: MockIdpConfig,
  deps: { db: Knex; logger: Logger },
): Promise<MockIdp> {
  const { db, logger } = deps;
  const clients = createClientCache({ db, logger, refreshMs: config.clientRefreshMs });
  await clients.refresh();
  // What is armed, so that a sign-in with nothing armed for it costs no statement (scenarios/armed.ts).
  await loadArmedCounts(db);
  const provider = await createMockProvider(config, db, clients);
  const routes = entraRoutes(config.tenantId);
  provider.use(trustProxies(provider, config.trustProxy));
  const metrics = createMockMetrics({ db, token: config.metricsToken });

  provider.use(healthRoutes({ db }));
  provider.use(metrics.middleware());
  provider.use(correlationAndLogging(logger));
  provider.use(securityHeaders());
  provider.use(
    errorHandler(
      logger,
      async (ctx, view) => {
        ctx.type = 'html';
        await ctx.render('error', {
          title: 'Sign-in error',
          correlationId: view.correlationId,
          errorCode: undefined,
          message: view.message,
        });
      },
      { jsonPathPrefix: '/_mock/' },
    ),
  );
  provider.use(staticAssets());
  // Templates are compiled once per process (`npm run dev` restarts on a change), not read per page.
  provider.use(
    views(path.join(import.meta.dirname, 'views'), { extension: 'ejs', options: { cache: true } }),
  );
  provider.use(async (ctx: Context, next: Next) => {
    ctx.state.serviceName = 'NHSmail';
    ctx.state.testMarker = true;
    ctx.state.skin = skins[config.skin];
    await next();
  });
  provider.use(answerDatabaseOutages(provider));
  provider.use(adapterRequestScope());
  // Entra publishes discovery below `<tenant>/v2.0`; oidc-provider serves it at a fixed path.
  provider.use(async (ctx: Context, next: Next) => {
    if (ctx.path === routes.discovery) ctx.path = '/.well-known/openid-configuration';
    else if (ctx.path === '/.well-known/openid-configuration') ctx.throw(404);
    await next();
  });
  provider.use(
    frontchannelAfterConfirm(provider, db, {
      confirmPath: `${routes.end_session}/confirm`,
      issuer: config.issuer,
    }),
  );

  const parseBody = bodyParser({
    enableTypes: ['form', 'json'],
    formLimit: '64kb',
    jsonLimit: '256kb',
    // co-body's own errors are not exposed, so a tester would only see "Something went wrong".
    onError(error) {
      if ((error as { status?: number }).status === 413)
        throw new ServiceError('payload_too_large', 'the request body is too large', { status: 413 });
      throw new ServiceError('bad_request', 'the request body is not valid JSON (or form data)', {
        status: 400,
      });
    },
  });
  provider.use(
    tokenFaults({
      db,
      provider,
      tokenPath: routes.token,
      slowResponseMs: config.slowResponseMs,
      parseBody,
      logger,
    }),
  );
  const csrf = csrfProtection({ secureCookies: config.secureCookies, cookieName: 'nhsmail_csrf' });
  const login = loginRoutes({ config, db, provider, logger });
  const control = controlRoutes({ config, db });
  const home = homeRoutes({ config, db, provider });
  const isControl = (ctx: Context) => ctx.path.startsWith('/_mock/');
  const isLogin = (ctx: Context) => ctx.path.startsWith(`${routes.interaction}/`) || ctx.path === '/unlock';
  const panel = trainerPanel(db);
  // What the control API changes (accounts, reset) shows on the next page, whatever the answer.
  const afterChanges = async (ctx: Context, next: Next) => {
    try {
      await next();
    } finally {
      if (ctx.method !== 'GET') {
        panel.invalidate();
        clients.clear();
      }
    }
  };
  provider.use(when(isControl, afterChanges, parseBody, control.routes(), notFound));
  // The trainer panel shows on the sign-in pages only, read once until the control API changes it.
  const showTrainerPanel = async (ctx: Context, next: Next) => {
    if (config.trainerMode) {
      ctx.state.trainerPersonas = await panel.personas();
      ctx.state.trainerPassword = seededPassword;
    }
    await next();
  };
  // What every sign-in page gets: this browser's form token and, in trainer mode, the trainer panel.
  const signInPage = [csrf, showTrainerPanel];
  provider.use(when(isLogin, parseBody, ...signInPage, login.routes()));
  // The authorization endpoint's answer to a new sign-in: the sign-in form itself, as at Entra.
  provider.use(login.formAtAuthorization(signInPage));
  provider.use(home.routes());
  return { app: provider, config, refreshClients: clients.refresh, stop: clients.stop };
}
