// The issuer's stored sessions, read and ended without loading oidc-provider (the CLI uses this too).
// A Session payload names its account and, per app, the `sid` that app was given and the grant it holds;
// ending sessions queues one logout token per app that registered a back-channel logout URI.
import type { Knex } from 'knex';
import { type LogoutDelivery, type LogoutReason, enqueueLogouts } from './outbox.ts';

export interface StoredSession {
  id: string;
  uid: string;
  accountId: string;
  /** Per app: the sid in its id_token and the grant behind its tokens. */
  apps: Array<{ clientId: string; sid: string | undefined; grantId: string | undefined }>;
}

interface SessionPayload {
  uid?: string;
  accountId?: string;
  authorizations?: Record<string, { sid?: string; grantId?: string }>;
}

function toSession(row: { id: string; uid: string | null; payload: string }): StoredSession | undefined {
  const payload = JSON.parse(row.payload) as SessionPayload;
  // The uid is the row's column (the adapter keeps it out of the payload); older rows have both.
  const uid = row.uid ?? payload.uid;
  if (!payload.accountId || !uid) return undefined;
  return {
    id: row.id,
    uid,
    accountId: payload.accountId,
    apps: Object.entries(payload.authorizations ?? {}).map(([clientId, authorization]) => ({
      clientId,
      sid: authorization.sid,
      grantId: authorization.grantId,
    })),
  };
}

/** Signed-in sessions of an account, by the indexed owner column (as revocation.ts ends them). */
export async function sessionsOfAccount(db: Knex, accountId: string): Promise<StoredSession[]> {
  const rows = await db('oidc_payloads')
    .where({ model: 'Session', account_id: accountId })
    .select('id', 'uid', 'payload');
  return rows.flatMap((row) => toSession(row) ?? []).filter((session) => session.accountId === accountId);
}

export async function sessionsByUid(db: Knex, uids: readonly string[]): Promise<StoredSession[]> {
  if (uids.length === 0) return [];
  const rows = await db('oidc_payloads')
    .where({ model: 'Session' })
    .whereIn('uid', uids)
    .select('id', 'uid', 'payload');
  return rows.flatMap((row) => toSession(row) ?? []);
}

/** Queues a logout token for every app of these sessions that registered a back-channel logout URI. */
export async function queueLogouts(
  db: Knex,
  sessions: readonly StoredSession[],
  reason: LogoutReason,
  correlationId: string,
): Promise<number> {
  const clientIds = [...new Set(sessions.flatMap((session) => session.apps.map((app) => app.clientId)))];
  if (clientIds.length === 0) return 0;
  const rows: Array<{ client_id: string; metadata: string }> = await db('oauth_clients')
    .whereIn('client_id', clientIds)
    .select('client_id', 'metadata');
  const listening = new Set(
    rows
      .filter((row) => typeof JSON.parse(row.metadata).backchannel_logout_uri === 'string')
      .map((row) => row.client_id),
  );
  const deliveries: LogoutDelivery[] = sessions.flatMap((session) =>
    session.apps
      .filter((app) => listening.has(app.clientId))
      .map((app) => ({
        clientId: app.clientId,
        accountId: session.accountId,
        sid: app.sid,
        reason,
        correlationId,
      })),
  );
  return enqueueLogouts(db, deliveries);
}

/** Deletes the sessions (their upstream session links with them) and every token and grant their apps hold. */
export async function endSessions(db: Knex, sessions: readonly StoredSession[]): Promise<void> {
  if (sessions.length === 0) return;
  const grantIds = sessions.flatMap((session) =>
    session.apps.flatMap((app) => (app.grantId ? [app.grantId] : [])),
  );
  if (grantIds.length > 0) {
    await db('oidc_payloads').whereIn('grant_id', grantIds).delete();
    await db('oidc_payloads').where({ model: 'Grant' }).whereIn('id', grantIds).delete();
  }
  await db('oidc_payloads')
    .where({ model: 'Session' })
    .whereIn(
      'id',
      sessions.map((session) => session.id),
    )
    .delete();
}

/**
 * For suspension: queues a logout token per app session of the account. The caller then deletes the
 * account's payloads (revokeAccountTokens) in the same transaction.
 */
export async function queueAccountLogouts(
  db: Knex,
  accountId: string,
  correlationId: string,
): Promise<number> {
  const sessions = await sessionsOfAccount(db, accountId);
  return queueLogouts(db, sessions, 'suspended', correlationId);
}
