// The sign-ins waiting for NHSmail's callback: `save` when the browser leaves, `take` when it comes
// back. `take` is one atomic DELETE … RETURNING (SQLite ≥ 3.35, PostgreSQL), so a callback is used once
// however many copies of it arrive. What the connector needs at the callback is its own opaque data.
import type { Knex } from 'knex';

export interface PendingSignIn {
  state: string;
  interactionUid: string;
  /** The connector's own data (nonce, PKCE verifier…), stored as JSON and handed back as it was. */
  connectorData: unknown;
}

interface PendingSignInRow {
  state: string;
  interaction_uid: string;
  connector_data: string;
  expires_at: number;
}

export interface PendingSignInStore {
  save(pending: PendingSignIn): Promise<void>;
  /** The pending sign-in for `state`, removed in the same statement; undefined if unknown or expired. */
  take(state: string): Promise<PendingSignIn | undefined>;
  /** Deletes expired rows in bulk; returns how many. */
  sweep(): Promise<number>;
}

const table = 'pending_sign_ins';

export function createPendingSignInStore(
  db: Knex,
  options: { lifetimeMs?: number; sweepEveryMs?: number } = {},
): PendingSignInStore {
  const lifetimeMs = options.lifetimeMs ?? 15 * 60 * 1000;
  const sweepEveryMs = options.sweepEveryMs ?? 60 * 1000;
  let nextSweep = Date.now() + sweepEveryMs;

  const sweep = async () => db(table).where('expires_at', '<=', Date.now()).delete();

  return {
    async save(pending) {
      await db(table).insert({
        state: pending.state,
        interaction_uid: pending.interactionUid,
        connector_data: JSON.stringify(pending.connectorData),
        expires_at: Date.now() + lifetimeMs,
      });
      // Abandoned sign-ins never come back to be taken: sweep them now and then, off the request.
      if (Date.now() >= nextSweep) {
        nextSweep = Date.now() + sweepEveryMs;
        sweep().catch(() => undefined);
      }
    },
    async take(state) {
      // Raw SQL: knex's sqlite3 client answers a delete with a count even when asked for `returning`.
      const result = await db.raw(`delete from ${table} where state = ? returning *`, [state]);
      const [row] = (Array.isArray(result) ? result : result.rows) as PendingSignInRow[];
      if (!row || row.expires_at <= Date.now()) return undefined;
      return {
        state: row.state,
        interactionUid: row.interaction_uid,
        connectorData: JSON.parse(row.connector_data) as unknown,
      };
    },
    sweep,
  };
}
