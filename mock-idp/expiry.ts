// What the mock deletes on a timer (main.ts, once a minute) so that no table grows forever: expired
// provider payloads and interactions, abandoned one-time code and change-password steps, and sign-in
// attempts past their retention. Each is one bulk DELETE on an indexed expiry or time column.
import type { Knex } from 'knex';
import { deleteExpiredPayloads } from '../shared/oidc/knexAdapter.ts';
import type { MockIdpConfig } from './config.ts';
import { deleteAttemptsBefore } from './directory/attempts.ts';
import { loginProgress } from './provider/loginProgress.ts';

const day = 24 * 60 * 60 * 1000;

/**
 * How long the attempts log keeps an attempt: a day, or the lockout period when that is longer, so
 * that the attempts behind a lockout can be read for as long as it lasts. Lockout itself reads only
 * the account's count and lock (directory/lockout.ts), never this log.
 */
export function attemptsRetentionMs(lockout: MockIdpConfig['lockout']): number {
  return Math.max(day, lockout.durationSeconds * 1000);
}

/** Deletes every row that has expired at `at`; returns how many. */
export async function deleteExpiredRows(
  db: Knex,
  config: Pick<MockIdpConfig, 'lockout'>,
  at = Date.now(),
): Promise<number> {
  const deleted = await Promise.all([
    deleteExpiredPayloads(db),
    loginProgress(db).sweep(at),
    deleteAttemptsBefore(db, at - attemptsRetentionMs(config.lockout)),
  ]);
  return deleted.reduce((sum, count) => sum + count, 0);
}
