// A log of sign-in attempts for testers to read back through the control API; attempts past their
// retention are deleted in bulk on a timer (expiry.ts).
import type { Knex } from 'knex';
import { mockEvents } from '../metrics.ts';
import { normaliseEmail } from './accounts.ts';

export interface SignInAttempt {
  id: number;
  email: string;
  outcome: string;
  errorCode: string | null;
  clientId: string | null;
  correlationId: string | null;
  at: string;
}

interface AttemptRow {
  id: number;
  email: string;
  outcome: string;
  error_code: string | null;
  client_id: string | null;
  correlation_id: string | null;
  at: number;
}

export async function recordAttempt(
  db: Knex,
  attempt: {
    email: string;
    outcome: string;
    errorCode?: string | null;
    clientId?: string | null;
    correlationId?: string | null;
  },
): Promise<void> {
  await db('sign_in_attempts').insert({
    email: normaliseEmail(attempt.email).slice(0, 320),
    outcome: attempt.outcome,
    error_code: attempt.errorCode ?? null,
    client_id: attempt.clientId ?? null,
    correlation_id: attempt.correlationId ?? null,
    at: Date.now(),
  });
  mockEvents(db).emit('attempt', attempt.outcome);
}

export async function recentAttempts(
  db: Knex,
  options: { limit: number; email?: string | undefined },
): Promise<SignInAttempt[]> {
  const query = db<AttemptRow>('sign_in_attempts').orderBy('id', 'desc').limit(options.limit);
  if (options.email) query.where({ email: normaliseEmail(options.email) });
  const rows = await query;
  return rows.map((row) => ({
    id: row.id,
    email: row.email,
    outcome: row.outcome,
    errorCode: row.error_code,
    clientId: row.client_id,
    correlationId: row.correlation_id,
    at: new Date(row.at).toISOString(),
  }));
}

/** Deletes the attempts made before `cutoff` (epoch ms) in one statement; returns how many. */
export async function deleteAttemptsBefore(db: Knex, cutoff: number): Promise<number> {
  return db('sign_in_attempts').where('at', '<', cutoff).delete();
}
