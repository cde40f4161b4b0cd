// Smart-lockout for the mock: consecutive wrong passwords lock an active account for a while. Counting
// is one atomic UPDATE, so parallel attempts cannot lose increments.
import type { Knex } from 'knex';
import { mockEvents } from '../metrics.ts';
import { normaliseEmail } from './accounts.ts';

export interface LockoutPolicy {
  threshold: number;
  durationSeconds: number;
}

/** Records a wrong password; returns true when this failure locked the account. */
export async function recordFailedPassword(db: Knex, email: string, policy: LockoutPolicy): Promise<boolean> {
  const at = Date.now();
  const key = normaliseEmail(email);
  // A failure racing with the one that just locked the account must not count into the next period.
  await db('nhsmail_accounts')
    .where({ email: key })
    .andWhere((query) => query.whereNull('locked_until').orWhere('locked_until', '<=', at))
    .increment('failed_attempts', 1);
  const locked = await db('nhsmail_accounts')
    .where({ email: key, state: 'active' })
    .andWhere('failed_attempts', '>=', policy.threshold)
    .andWhere((query) => query.whereNull('locked_until').orWhere('locked_until', '<=', at))
    .update({ locked_until: at + policy.durationSeconds * 1000, failed_attempts: 0, updated_at: at });
  if (locked > 0) mockEvents(db).emit('lockout');
  return locked > 0;
}

/** A correct password resets the count. */
export async function recordSuccessfulPassword(db: Knex, email: string): Promise<void> {
  await db('nhsmail_accounts')
    .where({ email: normaliseEmail(email) })
    .update({ failed_attempts: 0 });
}

export async function unlock(db: Knex, email: string): Promise<boolean> {
  const updated = await db('nhsmail_accounts')
    .where({ email: normaliseEmail(email) })
    .update({ failed_attempts: 0, locked_until: null, updated_at: Date.now() });
  await db('nhsmail_accounts')
    .where({ email: normaliseEmail(email), state: 'locked' })
    .update({ state: 'active' });
  return updated > 0;
}

/** Locks an account until it is unlocked (seeded or tester-set state). */
export async function lock(db: Knex, email: string): Promise<boolean> {
  const updated = await db('nhsmail_accounts')
    .where({ email: normaliseEmail(email) })
    .update({ state: 'locked', updated_at: Date.now() });
  return updated > 0;
}
