// The sign-ins waiting for NHSmail's callback: `save` when the browser leaves, `take` when it comes
// back. A pending sign-in belongs to one interaction and lives no longer than it, so it is kept on the
// interaction's own row (shared/oidc/knexAdapter.ts, pending step):
//   - `save` at the authorization endpoint goes out with the interaction oidc-provider has just saved,
//     in the same statement; a retry from /interaction/<uid> updates the row, replacing the earlier
//     attempt, whose callback is then refused;
//   - `take` is one atomic UPDATE … RETURNING that clears the state and answers the connector's data
//     with the interaction, so a callback is used once however many copies of it arrive, and the
//     callback's read of its interaction costs nothing more;
//   - abandoned ones go with their interaction when the broker's expiry sweep deletes it, in bulk.
// What the connector needs at the callback is its own opaque data.
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { attachPendingStep, takePendingStep } from '../../shared/oidc/knexAdapter.ts';

export interface PendingSignIn {
  /** `<interaction uid>.<random>` (newState), sent to NHSmail and back. */
  state: string;
  interactionUid: string;
  /** The connector's own data (nonce, PKCE verifier…), stored as JSON and handed back as it was. */
  connectorData: unknown;
}

interface StoredPendingSignIn {
  connectorData: unknown;
  expiresAt: number;
}

export interface PendingSignInStore {
  /** How long a pending sign-in waits for its callback. */
  readonly lifetimeMs: number;
  /** Keeps the sign-in with its interaction; false if the interaction is not stored (expired). */
  save(pending: PendingSignIn): Promise<boolean>;
  /** The pending sign-in for `state`, taken in the same statement; undefined if unknown or expired. */
  take(state: string): Promise<PendingSignIn | undefined>;
}

/**
 * The state sent upstream is `<interaction uid>.<random>`: the callback can forward the browser to its
 * interaction without a lookup, and the pending sign-in is found on that interaction's row.
 */
export function newState(interactionUid: string): string {
  return `${interactionUid}.${randomBytes(24).toString('base64url')}`;
}

/** The interaction a `state` names, or undefined for a value newState never made. */
export function interactionUidOf(state: string): string | undefined {
  const uid = state.split('.', 1)[0];
  return uid && state.length > uid.length + 1 ? uid : undefined;
}

export function createPendingSignInStore(
  db: Knex,
  options: { lifetimeMs?: number } = {},
): PendingSignInStore {
  // Shorter than the interaction's hour: a sign-in at NHSmail left for longer starts again.
  const lifetimeMs = options.lifetimeMs ?? 15 * 60 * 1000;
  return {
    lifetimeMs,
    save(pending) {
      const stored: StoredPendingSignIn = {
        connectorData: pending.connectorData,
        expiresAt: Date.now() + lifetimeMs,
      };
      return attachPendingStep(db, pending.interactionUid, {
        key: pending.state,
        data: JSON.stringify(stored),
      });
    },
    async take(state) {
      const interactionUid = interactionUidOf(state);
      if (!interactionUid) return undefined;
      const data = await takePendingStep(db, interactionUid, state);
      if (data === undefined) return undefined;
      const stored = JSON.parse(data) as StoredPendingSignIn;
      if (stored.expiresAt <= Date.now()) return undefined;
      return { state, interactionUid, connectorData: stored.connectorData };
    },
  };
}
