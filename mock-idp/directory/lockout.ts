// Smart-lockout for the mock: consecutive wrong passwords (or one-time codes) lock an account for a
// while. Each check is reserved before it is made: one atomic UPDATE counts it only while the account
// is unlocked and below the threshold, so however many guesses arrive at once, at most `threshold`
// are checked per lockout period. A right answer resets the count; the wrong one that fills the last
// slot locks the account.
import type { Knex } from 'knex';
import { mockEvents } from '../metrics.ts';
import { type AccountRow, normaliseEmail } from './accounts.ts';

export interface LockoutPolicy {
  threshold: number;
  durationSeconds: number;
}

/** Not locked by a tester or seed, and no lockout running at `at`. */
function unlockedAt(query: Knex.QueryBuilder, at: number): Knex.QueryBuilder {
  return query
    .whereNot({ state: 'locked' })
    .andWhere((inner) => inner.whereNull('locked_until').orWhere('locked_until', '<=', at));
}

/**
 * Reserves one password or code check: counts it and returns the account row (count included), or
 * undefined when no check may be made now: unknown user, locked, or every slot taken by checks in
 * flight. One statement, so it also serves as the login's one read of the account.
 */
export async function reserveCheck(
  db: Knex,
  email: string,
  policy: LockoutPolicy,
  at = Date.now(),
): Promise<AccountRow | undefined> {
  const rows: AccountRow[] = await unlockedAt(
    db('nhsmail_accounts').where({ email: normaliseEmail(email) }),
    at,
  )
    .andWhere('failed_attempts', '<', policy.threshold)
    .increment('failed_attempts', 1)
    .returning('*');
  return rows[0];
}

/** The reserved check was right: the count starts again. */
export async function checkSucceeded(db: Knex, email: string): Promise<void> {
  await db('nhsmail_accounts')
    .where({ email: normaliseEmail(email) })
    .update({ failed_attempts: 0 });
}

/**
 * The reserved check was wrong: its count stands. The one that filled the last slot locks the account
 * (and clears the count for the next period); returns true when this one did.
 */
export async function checkFailed(
  db: Knex,
  reserved: Pick<AccountRow, 'email' | 'failed_attempts'>,
  policy: LockoutPolicy,
  at = Date.now(),
): Promise<boolean> {
  if (reserved.failed_attempts < policy.threshold) return false;
  const locked = await unlockedAt(db('nhsmail_accounts').where({ email: reserved.email }), at)
    .andWhere('failed_attempts', '>=', policy.threshold)
    .update({ locked_until: at + policy.durationSeconds * 1000, failed_attempts: 0, updated_at: at });
  if (locked > 0) mockEvents(db).emit('lockout');
  return locked > 0;
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
