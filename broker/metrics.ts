// Prometheus metrics for the broker's operators, on the shared registry (shared/http/metrics.ts):
// sign-in decisions by outcome (the same codes as the audit trail), the upstream token call's latency,
// tokens issued by grant type and refresh-token reuse detections (from oidc-provider's events), and
// back-channel logout deliveries to apps by outcome (from the audit trail too).
import type { Knex } from 'knex';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { Counter, Histogram } from 'prom-client';
import { createServiceMetrics, type ServiceMetrics } from '../shared/http/metrics.ts';
import type { AuditEvent } from './accounts/audit.ts';
import { type UpstreamConnector, UpstreamError } from './upstream/connector.ts';

export interface BrokerMetrics extends ServiceMetrics {
  /** Counts a stored audit event when it is a sign-in decision. */
  observe(event: AuditEvent): void;
  /** The connector with its callback leg (code exchange and id_token validation) timed. */
  timeUpstream(connector: UpstreamConnector): UpstreamConnector;
  /** Counts tokens issued and refresh-token reuse from the issuer's events. */
  watchIssuer(provider: Provider): void;
}

const deliveryOutcomes = new Set(['delivered', 'delivery_retry', 'delivery_failed']);

export function createMetrics(options: { db: Knex; token: string | undefined }): BrokerMetrics {
  const service = createServiceMetrics({ prefix: 'cqrs_broker_', ...options });
  const registers = [service.registry];
  const signIns = new Counter({
    name: 'cqrs_broker_sign_ins_total',
    help: 'Sign-in decisions by outcome: success, or the refusal reason code',
    labelNames: ['outcome'] as const,
    registers,
  });
  const upstream = new Histogram({
    name: 'cqrs_broker_upstream_token_duration_seconds',
    help: 'Upstream IdP callback leg (token call and id_token validation) by outcome: ok or the failure kind',
    labelNames: ['outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers,
  });
  const tokens = new Counter({
    name: 'cqrs_broker_tokens_issued_total',
    help: 'Successful token endpoint grants by grant type',
    labelNames: ['grant_type'] as const,
    registers,
  });
  const logoutDeliveries = new Counter({
    name: 'cqrs_broker_backchannel_logout_deliveries_total',
    help: 'Back-channel logout attempts this instance made, by outcome: delivered, delivery_retry (failed, to be tried again) or delivery_failed (given up)',
    labelNames: ['outcome'] as const,
    registers,
  });
  const refreshReuse = new Counter({
    name: 'cqrs_broker_refresh_token_reuse_total',
    help: 'Rotated refresh tokens presented again (the grant is revoked each time)',
    registers,
  });
  return {
    ...service,
    observe(event) {
      if (event.event === 'sign_in') signIns.inc({ outcome: event.outcome });
      // The delivery outcomes of broker/logout/delivery.ts; a user's own sign-out is a logout too.
      else if (event.event === 'logout' && deliveryOutcomes.has(event.outcome))
        logoutDeliveries.inc({ outcome: event.outcome });
    },
    timeUpstream(connector) {
      const finishSignIn: UpstreamConnector['finishSignIn'] = async (callbackUrl, pending) => {
        const stop = upstream.startTimer();
        try {
          const identity = await connector.finishSignIn(callbackUrl, pending);
          stop({ outcome: 'ok' });
          return identity;
        } catch (error) {
          stop({ outcome: error instanceof UpstreamError ? error.kind : 'error' });
          throw error;
        }
      };
      // A proxy, not a copy: every other member stays the connector's own, bound to it, whatever
      // implementation the registry chose and whatever members the interface gains.
      return new Proxy(connector, {
        get(target, property) {
          if (property === 'finishSignIn') return finishSignIn;
          const value: unknown = Reflect.get(target, property);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    },
    watchIssuer(provider) {
      provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
        tokens.inc({ grant_type: String(ctx.oidc.params?.grant_type ?? 'unknown') });
      });
      // oidc-provider revokes the grant and refuses with this detail when a rotated token returns.
      provider.on('grant.error', (ctx: KoaContextWithOIDC, error: { error_detail?: string }) => {
        const reused = error.error_detail === 'refresh token already used';
        if (reused && ctx.oidc?.params?.grant_type === 'refresh_token') refreshReuse.inc();
      });
    },
  };
}
