// koa-session's external store on knex: the browser holds only a signed session id, and tokens stay
// on the server.
import type { Knex } from 'knex';

export interface SessionData {
  [key: string]: unknown;
}

export function knexSessionStore(db: Knex) {
  return {
    async get(key: string): Promise<SessionData | undefined> {
      const row = await db('app_sessions').where({ id: key }).andWhere('expires_at', '>', Date.now()).first();
      return row ? (JSON.parse(row.data) as SessionData) : undefined;
    },
    async set(key: string, session: SessionData, maxAge: number | 'session' | undefined): Promise<void> {
      const lifetime = typeof maxAge === 'number' ? maxAge : 8 * 60 * 60 * 1000;
      const user = session.user as { sid?: string; sub?: string } | undefined;
      await db('app_sessions')
        .insert({
          id: key,
          data: JSON.stringify(session),
          broker_sid: user?.sid ?? null,
          broker_sub: user?.sub ?? null,
          expires_at: Date.now() + lifetime,
        })
        .onConflict('id')
        .merge();
    },
    async destroy(key: string): Promise<void> {
      await db('app_sessions').where({ id: key }).delete();
    },
  };
}

/** Ends every app session bound to a broker session (back-channel logout). */
export async function destroySessionsForBrokerSid(db: Knex, sid: string): Promise<number> {
  return db('app_sessions').where({ broker_sid: sid }).delete();
}

/** Ends every app session of a broker user (a logout token that names no session). */
export async function destroySessionsForBrokerSubject(db: Knex, sub: string): Promise<number> {
  return db('app_sessions').where({ broker_sub: sub }).delete();
}
