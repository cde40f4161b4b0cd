// Sign-out and suspension reaching every app (docs/connect-your-app.md, docs/administration.md): wires
// the logout outbox's delivery, the issuer's back-channel logout, the link to NHSmail sessions and the
// routes that cross to NHSmail into the broker.
import type { JWK } from 'jose';
import type { Knex } from 'knex';
import Provider from 'oidc-provider';
import type { Logger } from '../../shared/logger.ts';
import { ensureSigningKeys } from '../../shared/oidc/keyStore.ts';
import type { AuditLog } from '../accounts/audit.ts';
import type { BrokerConfig } from '../config.ts';
import { outgoingFetch } from '../issuer/outgoingRequests.ts';
import { type LogoutDeliverer, startLogoutDelivery } from './delivery.ts';
import { enqueueLogouts } from './outbox.ts';
import { continueToUpstreamSignOut, logoutRoutes } from './routes.ts';
import { rememberUpstreamSession } from './upstreamSessions.ts';
import { upstreamSignOut } from './upstreamSignOut.ts';

/**
 * oidc-provider POSTs a logout token to each app from inside the end-session request and waits for it.
 * Routing that through the outbox instead means one delivery path for every logout (retries, audit) and
 * a sign-out that never waits for an app. The seam is the Client model's backchannelLogout(sub, sid)
 * (oidc-provider lib/models/client.js), called by lib/actions/end_session.js.
 */
function queueIssuerLogouts(provider: Provider, db: Knex, deliverer: LogoutDeliverer): void {
  const prototype = provider.Client.prototype as unknown as {
    clientId: string;
    backchannelLogout(sub: string, sid: string | undefined): Promise<void>;
  };
  prototype.backchannelLogout = async function backchannelLogout(sub, sid) {
    const correlationId = String(Provider.ctx?.state?.correlationId ?? crypto.randomUUID());
    await enqueueLogouts(db, [
      { clientId: this.clientId, accountId: sub, sid, reason: 'signed_out', correlationId },
    ]);
    deliverer.wake();
  };
}

/** The outbox's delivery, one per broker (it outlives issuers rebuilt for new keys). */
export function startSignOutDelivery(deps: {
  config: BrokerConfig;
  db: Knex;
  audit: AuditLog;
  logger: Logger;
  /** The private JWK the issuer signs id_tokens with now. */
  signingKey: () => Promise<JWK>;
}): LogoutDeliverer {
  const { config, db, audit, logger, signingKey } = deps;
  return startLogoutDelivery({
    db,
    issuer: config.issuer,
    audit,
    logger,
    signingKey,
    fetch: outgoingFetch(config.issuer) as typeof fetch,
    settings: config.logout,
  });
}

/** The issuer's side: back-channel logout through the outbox, the NHSmail session links, the routes. */
export function installSignOut(
  provider: Provider,
  deps: {
    config: BrokerConfig;
    db: Knex;
    audit: AuditLog;
    logger: Logger;
    deliverer: LogoutDeliverer;
    confirmPath: string;
  },
): void {
  const { config, db, deliverer } = deps;
  queueIssuerLogouts(provider, db, deliverer);
  const routeDeps = { ...deps, provider, upstreamSignOut: upstreamSignOut(config.upstream) };
  provider.use(rememberUpstreamSession(db));
  provider.use(continueToUpstreamSignOut(routeDeps, deps.confirmPath));
  provider.use(logoutRoutes(routeDeps).routes());
}

/** The key the issuer signs with, as createIssuer reads it at start (the first published key). */
export async function issuerSigningKey(db: Knex): Promise<JWK> {
  const [key] = await ensureSigningKeys(db);
  if (!key) throw new Error('the broker has no signing key');
  return key.privateJwk;
}
