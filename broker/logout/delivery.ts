// Delivers the outbox of back-channel logout tokens. Every running broker instance polls (about once a
// second, and at once when it queued something itself), claims due rows, signs a fresh logout token
// per attempt and POSTs it to the app's registered back-channel logout URI. A failed attempt is retried
// with exponential backoff up to a bounded number of attempts; every delivery, retry and final failure is
// an audit event. Nobody's sign-out waits for any of this.
import type { JWK } from 'jose';
import type { Knex } from 'knex';
import type { Logger } from '../../shared/logger.ts';
import type { AuditLog } from '../accounts/audit.ts';
import { signLogoutToken } from './logoutToken.ts';
import { type ClaimedDelivery, claimDueLogouts, finishLogout, retryLogoutAt } from './outbox.ts';

export interface LogoutDeliverySettings {
  pollMs: number;
  /** The first retry waits this long; each further one twice as long as the one before (at most 10 min). */
  retryBaseMs: number;
  /** Attempts in all, the first included, before a delivery is given up and audited as failed. */
  maxAttempts: number;
  timeoutMs: number;
}

export interface LogoutDeliverer {
  /** Look at the outbox now (after this instance queued a delivery). */
  wake(): void;
  /** Delivers what is due; resolves with how many deliveries were attempted. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

const batchSize = 20;
const maxBackoffMs = 10 * 60 * 1000;

export function retryDelayMs(settings: LogoutDeliverySettings, attempt: number): number {
  return Math.min(settings.retryBaseMs * 2 ** (attempt - 1), maxBackoffMs);
}

export function startLogoutDelivery(deps: {
  db: Knex;
  issuer: string;
  audit: AuditLog;
  logger: Logger;
  signingKey: () => Promise<JWK>;
  fetch: typeof fetch;
  settings: LogoutDeliverySettings;
}): LogoutDeliverer {
  const { db, issuer, audit, logger, settings } = deps;
  let running: Promise<number> | undefined;
  let again = false;
  let stopped = false;

  const record = (delivery: ClaimedDelivery, outcome: string, detail: string) =>
    audit.record({
      event: 'logout',
      outcome,
      correlationId: delivery.correlationId,
      clientId: delivery.clientId,
      accountId: delivery.accountId,
      detail: `${delivery.reason}; attempt ${delivery.attempt} of ${settings.maxAttempts}; ${detail}`,
    });

  const send = async (delivery: ClaimedDelivery, uri: string): Promise<string | undefined> => {
    const logoutToken = await signLogoutToken(
      { issuer, clientId: delivery.clientId, sub: delivery.accountId, sid: delivery.sid },
      await deps.signingKey(),
    );
    try {
      const response = await deps.fetch(uri, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ logout_token: logoutToken }),
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
      await response.body?.cancel();
      // Back-Channel Logout 1.0 §2.8: 200 (or 204) means the app ended the session.
      return response.status === 200 || response.status === 204 ? undefined : `HTTP ${response.status}`;
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      return cause?.code ?? (error as Error).name ?? 'request failed';
    }
  };

  const deliver = async (delivery: ClaimedDelivery): Promise<void> => {
    const client = await db('oauth_clients').where({ client_id: delivery.clientId }).first('metadata');
    const uri = client
      ? (JSON.parse(client.metadata).backchannel_logout_uri as string | undefined)
      : undefined;
    if (!uri) {
      await finishLogout(db, delivery.id);
      await record(delivery, 'delivery_failed', 'the app no longer has a back-channel logout URI');
      return;
    }
    const failure = await send(delivery, uri);
    if (failure === undefined) {
      await finishLogout(db, delivery.id);
      await record(delivery, 'delivered', 'the app ended the session');
      return;
    }
    if (delivery.attempt >= settings.maxAttempts) {
      await finishLogout(db, delivery.id);
      await record(delivery, 'delivery_failed', `${failure}; given up`);
      logger.warn(
        { correlationId: delivery.correlationId, clientId: delivery.clientId, failure },
        'back-channel logout given up',
      );
      return;
    }
    const delay = retryDelayMs(settings, delivery.attempt);
    await retryLogoutAt(db, delivery.id, Date.now() + delay);
    await record(delivery, 'delivery_retry', `${failure}; next attempt in ${Math.ceil(delay / 1000)} s`);
  };

  const poll = async (): Promise<number> => {
    let attempted = 0;
    for (;;) {
      const due = await claimDueLogouts(db, batchSize, settings.timeoutMs * 2 + 5000);
      attempted += due.length;
      await Promise.all(
        due.map((delivery) =>
          deliver(delivery).catch((error: unknown) => {
            // The claim runs out and another poll tries again.
            logger.warn({ correlationId: delivery.correlationId, err: error }, 'back-channel logout failed');
          }),
        ),
      );
      if (due.length < batchSize) return attempted;
    }
  };

  const runOnce = (): Promise<number> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let total = 0;
      do {
        again = false;
        total += await poll().catch((error: unknown) => {
          if (!stopped) logger.warn({ err: error }, 'could not read the logout outbox');
          return 0;
        });
      } while (again && !stopped);
      return total;
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  const timer = setInterval(() => void runOnce(), settings.pollMs);
  timer.unref();
  return {
    wake: () => void runOnce(),
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
