// The link from an upstream (NHSmail) session to the broker session it signed in: kept when the
// upstream id_token arrives, so that NHSmail's front-channel logout (`iss` + `sid`, no cookies) finds the
// broker sessions to end, and RP-initiated sign-out can name the user to NHSmail's end_session.
// This module owns the `upstream_sessions` table.
import type { Knex } from 'knex';
import type { Context, Middleware, Next } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';

/** What the sign-in callback hands to the resumed authorization in the interaction result. */
export interface UpstreamSessionResult {
  issuer: string;
  sessionId: string | undefined;
  loginHint: string | undefined;
}

/** The part of an upstream identity that the interaction result carries to the resumed authorization. */
export function upstreamSessionOf(identity: {
  issuer: string;
  sessionId: string | undefined;
  loginHint?: string | undefined;
}): UpstreamSessionResult {
  return { issuer: identity.issuer, sessionId: identity.sessionId, loginHint: identity.loginHint };
}

export interface UpstreamSessionLink {
  brokerSessionUid: string;
  issuer: string;
  upstreamSid: string;
  accountId: string;
  loginHint: string | undefined;
}

interface LinkRow {
  broker_session_uid: string;
  issuer: string;
  upstream_sid: string;
  account_id: string;
  login_hint: string | null;
}

const toLink = (row: LinkRow): UpstreamSessionLink => ({
  brokerSessionUid: row.broker_session_uid,
  issuer: row.issuer,
  upstreamSid: row.upstream_sid,
  accountId: row.account_id,
  loginHint: row.login_hint ?? undefined,
});

/**
 * After oidc-provider resumes an authorization whose interaction result carries the upstream session,
 * links it to the (now signed-in) broker session. Runs around the provider's own resume route, once the
 * session is saved.
 */
export function rememberUpstreamSession(db: Knex, sessionTtlSeconds: number): Middleware {
  return async (ctx: Context, next: Next) => {
    await next();
    const oidc = (ctx as unknown as KoaContextWithOIDC).oidc;
    if (oidc?.route !== 'resume') return;
    const upstream = (oidc.result as { upstream?: UpstreamSessionResult } | undefined)?.upstream;
    const session = oidc.session;
    if (!upstream?.sessionId || !session?.uid || !session.accountId) return;
    if ((session as { destroyed?: boolean }).destroyed) return;
    const now = Date.now();
    await db('upstream_sessions')
      .insert({
        broker_session_uid: session.uid,
        issuer: upstream.issuer,
        upstream_sid: upstream.sessionId,
        account_id: session.accountId,
        login_hint: upstream.loginHint ?? null,
        created_at: now,
        expires_at: now + sessionTtlSeconds * 1000,
      })
      .onConflict('broker_session_uid')
      .merge();
  };
}

export async function linksOfUpstreamSession(
  db: Knex,
  issuer: string,
  upstreamSid: string,
): Promise<UpstreamSessionLink[]> {
  const rows = await db<LinkRow>('upstream_sessions')
    .where({ issuer, upstream_sid: upstreamSid })
    .andWhere('expires_at', '>', Date.now());
  return rows.map(toLink);
}

export async function linkOfBrokerSession(
  db: Knex,
  sessionUid: string,
): Promise<UpstreamSessionLink | undefined> {
  const row = await db<LinkRow>('upstream_sessions').where({ broker_session_uid: sessionUid }).first();
  return row ? toLink(row) : undefined;
}

export async function forgetBrokerSession(db: Knex, sessionUid: string): Promise<void> {
  await db('upstream_sessions').where({ broker_session_uid: sessionUid }).delete();
}

/** Links past their session's lifetime; the broker deletes them on its payload-sweeping timer. */
export async function deleteExpiredUpstreamSessions(db: Knex): Promise<number> {
  return db('upstream_sessions').where('expires_at', '<=', Date.now()).delete();
}
