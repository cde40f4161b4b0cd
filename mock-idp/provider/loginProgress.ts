// Where a sign-in stands between the password and its end, when NHSmail asks for more (a one-time
// code, a new password): one row per interaction, owned by this module, swept once expired.
import type { Knex } from 'knex';
import type { Step } from './loginPages.ts';

const lifetimeMs = 15 * 60 * 1000;

export interface Progress {
  uid: string;
  email: string;
  step: Step;
  /** A token-stage scenario taken at the password step, applied when the code is redeemed. */
  scenario: string | null;
  remember: boolean;
}

interface ProgressRow extends Omit<Progress, 'remember'> {
  remember: boolean | number;
  expires_at: number;
}

export function loginProgress(db: Knex) {
  return {
    async save(progress: Progress): Promise<void> {
      await db('login_progress')
        .insert({ ...progress, expires_at: Date.now() + lifetimeMs })
        .onConflict('uid')
        .merge();
    },

    /** The interaction's progress at `step`, unless it has expired. */
    async find(uid: string, step: Step): Promise<Progress | undefined> {
      const row = await db<ProgressRow>('login_progress')
        .where({ uid, step })
        .andWhere('expires_at', '>', Date.now())
        .first();
      if (!row) return undefined;
      return {
        uid: row.uid,
        email: row.email,
        step: row.step,
        scenario: row.scenario,
        remember: Boolean(row.remember),
      };
    },

    async advance(uid: string, step: Step): Promise<void> {
      await db('login_progress').where({ uid }).update({ step });
    },

    async remove(uid: string): Promise<void> {
      await db('login_progress').where({ uid }).delete();
    },

    async sweep(at = Date.now()): Promise<number> {
      return db('login_progress').where('expires_at', '<=', at).delete();
    },
  };
}

export type LoginProgress = ReturnType<typeof loginProgress>;
