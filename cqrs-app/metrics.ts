// Prometheus metrics for the CQRS app's operators, on the shared registry (shared/http/metrics.ts):
// sign-ins, token refreshes and back-channel logouts received, each by outcome. They are counted
// around the broker client's calls, so the routes need no metrics code of their own.
import type { Knex } from 'knex';
import { Counter } from 'prom-client';
import { createServiceMetrics, type ServiceMetrics } from '../shared/http/metrics.ts';
import type { BrokerClient } from './brokerClient.ts';

export interface AppMetrics extends ServiceMetrics {
  /** Counts the outcome of each sign-in, refresh and back-channel logout the client handles. */
  instrument(client: BrokerClient): void;
}

export function createAppMetrics(options: { db: Knex; token: string | undefined }): AppMetrics {
  const service = createServiceMetrics({ prefix: 'cqrs_app_', ...options });
  const counter = (name: string, help: string) =>
    new Counter({ name, help, labelNames: ['outcome'] as const, registers: [service.registry] });
  const signIns = counter('cqrs_app_sign_ins_total', 'Sign-ins completed at the broker callback, by outcome');
  const refreshes = counter(
    'cqrs_app_token_refreshes_total',
    'Refresh-token grants at the broker, by outcome',
  );
  const logouts = counter(
    'cqrs_app_backchannel_logouts_total',
    'Back-channel logout tokens received from the broker, by outcome (accepted or rejected)',
  );

  /** Replaces `client[method]` with the same call, counted by whether it resolved. */
  function count<Method extends 'finishLogin' | 'refresh' | 'verifyLogoutToken'>(
    client: BrokerClient,
    method: Method,
    metric: Counter<'outcome'>,
    outcomes: [resolved: string, rejected: string],
  ): void {
    const original = client[method].bind(client) as (...args: unknown[]) => Promise<unknown>;
    (client as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
      try {
        const result = await original(...args);
        metric.inc({ outcome: outcomes[0] });
        return result;
      } catch (error) {
        metric.inc({ outcome: outcomes[1] });
        throw error;
      }
    };
  }

  return {
    ...service,
    instrument(client) {
      count(client, 'finishLogin', signIns, ['success', 'failure']);
      count(client, 'refresh', refreshes, ['success', 'refused']);
      count(client, 'verifyLogoutToken', logouts, ['accepted', 'rejected']);
    },
  };
}
