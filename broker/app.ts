// Builds the CQRS identity broker: the OpenID Provider with the sign-in interactions and pages in
// front of it, rebuilt and swapped in when the signing or cookie keys change (issuer/keyFollower.ts).
// Requests go straight to the issuer in use, itself a Koa app: no second Koa app in front of it, whose
// context for every request would do nothing but pass the request on.
// The registered clients are kept across rebuilds and re-read when the registry changes
// (shared/oidc/clientCache.ts).
// Does nothing at import time; main.ts listens.
import type http from 'node:http';
import path from 'node:path';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Knex } from 'knex';
import type { Context, Next } from 'koa';
import views from 'koa-views';
import type Provider from 'oidc-provider';
import { staticAssets } from '../shared/http/assets.ts';
import type { SignedCookieKeys } from '../shared/http/cookieKeys.ts';
import { correlationAndLogging, errorHandler } from '../shared/http/errors.ts';
import { healthRoutes } from '../shared/http/health.ts';
import { securityHeaders } from '../shared/http/securityHeaders.ts';
import { trustProxies } from '../shared/http/trustedProxies.ts';
import type { Logger } from '../shared/logger.ts';
import { type ClientCache, createClientCache } from '../shared/oidc/clientCache.ts';
import { answerDatabaseOutages } from '../shared/oidc/databaseOutage.ts';
import { adapterRequestScope } from '../shared/oidc/requestScope.ts';
import { AccountStore } from './accounts/accountStore.ts';
import { AuditLog } from './accounts/audit.ts';
import type { BrokerConfig } from './config.ts';
import { createPendingSignInStore } from './interactions/pendingSignIns.ts';
import { rememberSignOut } from './interactions/reauthentication.ts';
import { interactionRoutes } from './interactions/routes.ts';
import { straightToUpstream, upstreamSignInStarter } from './interactions/upstreamSignIn.ts';
import { createMetrics } from './metrics.ts';
import { logIssuerEvents } from './issuer/events.ts';
import { followKeys, type IssuerKeys, loadIssuerKeys } from './issuer/keyFollower.ts';
import type { LogoutDeliverer } from './logout/delivery.ts';
import { installSignOut, startSignOutDelivery } from './logout/index.ts';
import { createIssuer } from './issuer/provider.ts';
import type { UpstreamConnector } from './upstream/connector.ts';
import { createConnector } from './upstream/index.ts';
import { explainRefusal } from './views/refusalReasons.ts';

export interface Broker {
  /** Answers every request with the issuer built for the keys in use when it arrived. */
  handle: http.RequestListener;
  /** The cookie keys of the issuer in use (shared/http/cookieKeys.ts). */
  readonly cookieKeys: SignedCookieKeys;
  /** The OpenID Provider serving requests now; a new one replaces it when the keys change. */
  readonly provider: Provider;
  accounts: AccountStore;
  audit: AuditLog;
  /** Re-reads the keys now; instances also do so every BROKER_KEY_REFRESH_SECONDS. */
  refreshKeys(): Promise<void>;
  /**
   * Checks the client registry version now and forgets the clients read if it moved; instances also do
   * so every BROKER_CLIENT_REFRESH_MS. Resolves once a change committed before the call is in use.
   */
  refreshClients(): Promise<void>;
  /** Delivers back-channel logout tokens from the outbox (broker/logout/delivery.ts). */
  logoutDelivery: LogoutDeliverer;
  /** Stops following keys and clients and delivering logout tokens: await it before closing the database. */
  stop(): Promise<void>;
}

export async function createBroker(
  config: BrokerConfig,
  deps: { db: Knex; logger: Logger; connector?: UpstreamConnector },
): Promise<Broker> {
  const { db, logger } = deps;
  const accounts = new AccountStore(db);
  const metrics = createMetrics({ db, token: config.metricsToken });
  const audit = new AuditLog(db, metrics.observe);
  const connector = metrics.timeUpstream(deps.connector ?? createConnector(config.upstream));
  const keys = await loadIssuerKeys(db);
  // Logout tokens are signed with the key the issuer in use signs id_tokens with.
  let signingKey = keys.signing[0];
  const logoutDelivery = startSignOutDelivery({
    config,
    db,
    audit,
    logger,
    signingKey: async () => {
      if (!signingKey) throw new Error('the broker has no signing key');
      return signingKey;
    },
  });
  const clients = createClientCache({ db, logger, refreshMs: config.clientRefreshMs });
  await clients.refresh();
  const parts: BrokerParts = { accounts, metrics, audit, connector, logoutDelivery, clients };

  let provider = await assembleIssuer(config, deps, parts, keys);
  let handle = provider.callback();
  const follower = followKeys({
    db,
    logger,
    refreshSeconds: config.keys.refreshSeconds,
    current: keys,
    async onChange(next) {
      const rebuilt = await assembleIssuer(config, deps, parts, next);
      provider = rebuilt;
      handle = rebuilt.callback();
      signingKey = next.signing[0];
    },
  });
  return {
    handle: (request, response) => handle(request, response),
    get cookieKeys() {
      // oidc-provider keeps its cookies.keys (issuer/provider.ts) as the app's keys.
      return provider.keys as SignedCookieKeys;
    },
    get provider() {
      return provider;
    },
    accounts,
    audit,
    refreshKeys: follower.refresh,
    refreshClients: clients.refresh,
    logoutDelivery,
    async stop() {
      await follower.stop();
      await clients.stop();
      await logoutDelivery.stop();
    },
  };
}

interface BrokerParts {
  accounts: AccountStore;
  metrics: ReturnType<typeof createMetrics>;
  audit: AuditLog;
  connector: UpstreamConnector;
  logoutDelivery: LogoutDeliverer;
  clients: ClientCache;
}

/** The issuer for one set of keys, with the broker's pages and sign-in routes in front of it. */
async function assembleIssuer(
  config: BrokerConfig,
  deps: { db: Knex; logger: Logger },
  { accounts, metrics, audit, connector, logoutDelivery, clients }: BrokerParts,
  keys: IssuerKeys,
): Promise<Provider> {
  const { db, logger } = deps;
  const provider = await createIssuer(config, db, accounts, keys, clients);
  provider.use(trustProxies(provider, config.trustProxy));
  logIssuerEvents(provider, logger);
  metrics.watchIssuer(provider);

  provider.use(healthRoutes({ db, checks: { upstream: () => connector.ready() } }));
  provider.use(metrics.middleware());
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
    ctx.state.trainerMode = config.trainerMode;
    ctx.state.explainRefusal = explainRefusal;
    await next();
  });
  provider.use(answerDatabaseOutages(provider));
  provider.use(adapterRequestScope());

  const home = new Router();
  home.get('/', async (ctx) => {
    await ctx.render('home', {
      title: 'CQRS identity broker',
      discovery: `${config.issuer}/.well-known/openid-configuration`,
    });
  });
  provider.use(home.routes());
  provider.use(rememberSignOut({ confirmPath: '/session/end/confirm', secureCookies: config.secureCookies }));
  installSignOut(provider, {
    config,
    db,
    audit,
    logger,
    deliverer: logoutDelivery,
    confirmPath: '/session/end/confirm',
  });
  provider.use(bodyParserFor(['/interaction/']));
  const pendingSignIns = createPendingSignInStore(db);
  const startSignIn = upstreamSignInStarter({
    issuer: config.issuer,
    connector,
    pendingSignIns,
    secureCookies: config.secureCookies,
  });
  provider.use(straightToUpstream(startSignIn, logger));
  provider.use(
    interactionRoutes({
      config,
      provider,
      accounts,
      audit,
      connector,
      pendingSignIns,
      startSignIn,
      logger,
    }).routes(),
  );
  return provider;
}

/** Parses form bodies only below these prefixes: oidc-provider reads its own endpoints' bodies. */
function bodyParserFor(prefixes: string[]) {
  const parse = bodyParser({ enableTypes: ['form'], formLimit: '64kb' });
  return (ctx: Context, next: Next) =>
    prefixes.some((prefix) => ctx.path.startsWith(prefix)) ? parse(ctx, next) : next();
}
