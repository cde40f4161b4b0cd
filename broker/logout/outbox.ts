// The outbox of back-channel logout deliveries: one row per (app, session) to tell. Whoever ends a
// session writes rows in the same transaction (the CLI suspending an account, a broker instance ending
// a session); running broker instances claim due rows atomically and deliver them. This module owns
// the `logout_deliveries` table.
import type { Knex } from 'knex';

export type LogoutReason = 'suspended' | 'signed_out' | 'upstream_signed_out';

export interface LogoutDelivery {
  clientId: string;
  accountId: string;
  sid: string | undefined;
  reason: LogoutReason;
  correlationId: string;
}

export interface ClaimedDelivery extends LogoutDelivery {
  id: number;
  /** Attempts so far, this one included. */
  attempt: number;
}

interface DeliveryRow {
  id: number;
  client_id: string;
  account_id: string;
  sid: string | null;
  reason: LogoutReason;
  correlation_id: string;
  attempts: number;
  next_attempt_at: number;
  claimed_until: number | null;
}

export async function enqueueLogouts(db: Knex, deliveries: readonly LogoutDelivery[]): Promise<number> {
  if (deliveries.length === 0) return 0;
  const now = Date.now();
  await db('logout_deliveries').insert(
    deliveries.map((delivery) => ({
      client_id: delivery.clientId,
      account_id: delivery.accountId,
      sid: delivery.sid ?? null,
      reason: delivery.reason,
      correlation_id: delivery.correlationId,
      attempts: 0,
      next_attempt_at: now,
      created_at: now,
    })),
  );
  return deliveries.length;
}

const unclaimed = (query: Knex.QueryBuilder, now: number) =>
  query.whereNull('claimed_until').orWhere('claimed_until', '<', now);

/**
 * Claims up to `limit` due deliveries for `leaseMs`. Each claim is a conditional UPDATE of one row, so
 * when two instances race for a row exactly one of them gets it, on SQLite and PostgreSQL alike.
 */
export async function claimDueLogouts(db: Knex, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
  const now = Date.now();
  const candidates = await db<DeliveryRow>('logout_deliveries')
    .where('next_attempt_at', '<=', now)
    .andWhere((query) => unclaimed(query, now))
    .orderBy('next_attempt_at')
    .limit(limit);
  const claimed: ClaimedDelivery[] = [];
  for (const row of candidates) {
    const won = await db('logout_deliveries')
      .where({ id: row.id, attempts: row.attempts })
      .andWhere((query) => unclaimed(query, now))
      .update({ claimed_until: now + leaseMs, attempts: row.attempts + 1 });
    if (won !== 1) continue;
    claimed.push({
      id: row.id,
      clientId: row.client_id,
      accountId: row.account_id,
      sid: row.sid ?? undefined,
      reason: row.reason,
      correlationId: row.correlation_id,
      attempt: row.attempts + 1,
    });
  }
  return claimed;
}

/** Delivered, or given up on: the audit trail keeps the story, the outbox forgets the row. */
export async function finishLogout(db: Knex, id: number): Promise<void> {
  await db('logout_deliveries').where({ id }).delete();
}

export async function retryLogoutAt(db: Knex, id: number, at: number): Promise<void> {
  await db('logout_deliveries').where({ id }).update({ next_attempt_at: at, claimed_until: null });
}

export async function pendingLogouts(db: Knex): Promise<number> {
  const row = await db('logout_deliveries').count({ count: '*' }).first();
  return Number(row?.count ?? 0);
}
