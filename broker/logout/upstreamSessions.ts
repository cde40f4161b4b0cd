// The link from an upstream (NHSmail) session to the broker session it signed in: kept when the
// upstream id_token arrives, so that NHSmail's front-channel logout (`iss` + `sid`, no cookies) finds the
// broker sessions to end, and RP-initiated sign-out can name the user to NHSmail's end_session.
// It is the broker Session row's annex (shared/oidc/knexAdapter.ts `attachAnnex`): the upstream `sid`
// as its key, the issuer and login hint as its data. Saved with the session in the same statement,
// looked up by the indexed key, and gone with the session, however it ends.
import type { Knex } from 'knex';
import type { Context, Middleware, Next } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { attachAnnex } from '../../shared/oidc/knexAdapter.ts';

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
  loginHint: string | undefined;
}

interface LinkData {
  issuer: string;
  loginHint?: string | undefined;
}

interface SessionLinkRow {
  uid: string | null;
  annex_key: string | null;
  annex: string | null;
}

function toLink(row: SessionLinkRow): UpstreamSessionLink | undefined {
  if (!row.uid || !row.annex_key || !row.annex) return undefined;
  const data = JSON.parse(row.annex) as LinkData;
  return {
    brokerSessionUid: row.uid,
    issuer: data.issuer,
    upstreamSid: row.annex_key,
    loginHint: data.loginHint,
  };
}

/**
 * After oidc-provider resumes an authorization whose interaction result carries the upstream session,
 * links it to the (now signed-in) broker session. Runs around the provider's own resume route, once the
 * session is saved, which the request still holds: the link goes out with it.
 */
export function rememberUpstreamSession(db: Knex): Middleware {
  return async (ctx: Context, next: Next) => {
    await next();
    const oidc = (ctx as unknown as KoaContextWithOIDC).oidc;
    if (oidc?.route !== 'resume') return;
    const upstream = (oidc.result as { upstream?: UpstreamSessionResult } | undefined)?.upstream;
    const session = oidc.session;
    if (!upstream?.sessionId || !session?.uid || !session.accountId) return;
    if ((session as { destroyed?: boolean }).destroyed) return;
    const data: LinkData = { issuer: upstream.issuer, loginHint: upstream.loginHint };
    await attachAnnex(db, 'Session', session.jti, { key: upstream.sessionId, data: JSON.stringify(data) });
  };
}

/** The broker sessions that NHSmail session `upstreamSid` of `issuer` signed in. */
export async function linksOfUpstreamSession(
  db: Knex,
  issuer: string,
  upstreamSid: string,
): Promise<UpstreamSessionLink[]> {
  const rows: SessionLinkRow[] = await db('oidc_payloads')
    .where({ model: 'Session', annex_key: upstreamSid })
    .andWhere((query) => query.whereNull('expires_at').orWhere('expires_at', '>', Date.now()))
    .select('uid', 'annex_key', 'annex');
  return rows.flatMap((row) => toLink(row) ?? []).filter((link) => link.issuer === issuer);
}

/** The NHSmail session linked to the broker session stored under `sessionId` (the session cookie). */
export async function linkOfBrokerSession(
  db: Knex,
  sessionId: string,
): Promise<UpstreamSessionLink | undefined> {
  const row: SessionLinkRow | undefined = await db('oidc_payloads')
    .where({ model: 'Session', id: sessionId })
    .first('uid', 'annex_key', 'annex');
  return row ? toLink(row) : undefined;
}
