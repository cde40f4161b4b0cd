// Builds the CQRS identity broker: the OpenID Provider with the sign-in interactions and pages in
// front of it. Does nothing at import time; main.ts listens.
import path from 'node:path';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Knex } from 'knex';
import type { Context, Next } from 'koa';
import views from 'koa-views';
import type Provider from 'oidc-provider';
import { staticAssets } from '../shared/http/assets.ts';
import { correlationAndLogging, errorHandler } from '../shared/http/errors.ts';
import { securityHeaders } from '../shared/http/securityHeaders.ts';
import type { Logger } from '../shared/logger.ts';
import { AccountStore } from './accounts/accountStore.ts';
import { AuditLog } from './accounts/audit.ts';
import type { BrokerConfig } from './config.ts';
import { rememberSignOut } from './interactions/reauthentication.ts';
import { interactionRoutes } from './interactions/routes.ts';
import { createMetrics, serveMetrics } from './metrics.ts';
import { logIssuerEvents } from './issuer/events.ts';
import { createIssuer } from './issuer/provider.ts';
import type { UpstreamConnector } from './upstream/connector.ts';
import { createConnector } from './upstream/index.ts';

export interface Broker {
  app: Provider;
  accounts: AccountStore;
  audit: AuditLog;
}

export async function createBroker(
  config: BrokerConfig,
  deps: { db: Knex; logger: Logger; connector?: UpstreamConnector },
): Promise<Broker> {
  const { db, logger } = deps;
  const accounts = new AccountStore(db);
  const metrics = createMetrics();
  const audit = new AuditLog(db, metrics.observe);
  const connector = deps.connector ?? createConnector(config.upstream);
  const provider = await createIssuer(config, db, accounts);
  provider.proxy = config.trustProxy;
  logIssuerEvents(provider, logger);

  provider.use(correlationAndLogging(logger));
  provider.use(securityHeaders());
  provider.use(
    errorHandler(logger, async (ctx, view) => {
      ctx.type = 'html';
      await ctx.render('error', { title: 'Authentication Error', correlationId: view.correlationId });
    }),
  );
  provider.use(staticAssets());
  provider.use(views(path.join(import.meta.dirname, 'views'), { extension: 'ejs' }));
  provider.use(async (ctx: Context, next: Next) => {
    ctx.state.serviceName = 'Calculating Quality Reporting Service';
    ctx.state.serviceHref = config.homeUrl;
    ctx.state.navigation = [{ href: config.homeUrl, text: 'Home' }];
    ctx.state.helpDesk = config.helpDesk;
    await next();
  });

  const home = new Router();
  home.get('/', async (ctx) => {
    await ctx.render('home', {
      title: 'CQRS identity broker',
      discovery: `${config.issuer}/.well-known/openid-configuration`,
    });
  });
  home.get('/metrics', (ctx) => serveMetrics(ctx, metrics, config.metricsToken));
  home.get('/healthz', async (ctx) => {
    await db.raw('select 1');
    ctx.body = { status: 'ok' };
  });
  provider.use(home.routes());
  provider.use(rememberSignOut({ confirmPath: '/session/end/confirm', secureCookies: config.secureCookies }));
  provider.use(bodyParserFor(['/interaction/']));
  provider.use(interactionRoutes({ config, db, provider, accounts, audit, connector, logger }).routes());
  return { app: provider, accounts, audit };
}

/** Parses form bodies only below these prefixes: oidc-provider reads its own endpoints' bodies. */
function bodyParserFor(prefixes: string[]) {
  const parse = bodyParser({ enableTypes: ['form'], formLimit: '64kb' });
  return (ctx: Context, next: Next) =>
    prefixes.some((prefix) => ctx.path.startsWith(prefix)) ? parse(ctx, next) : next();
}
