// Recognises "the database is not answering" in one place, whatever the driver: knex's pool timeout,
// pg's socket and server-shutdown errors, SQLite's busy/cannot-open codes. Those failures become a
// DatabaseUnavailableError (503, Retry-After) instead of a 500; any other error stays what it was.
import type { Knex } from 'knex';
import { DatabaseUnavailableError } from './errors.ts';

/** Socket-level failures (Node's errno codes) that mean the database cannot be reached. */
const socketCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * PostgreSQL SQLSTATEs for a server that is going away or refusing connections: class 08 (connection
 * exception), 57P01-57P03 (admin/crash shutdown, cannot connect now), 53300 (too many connections).
 */
const postgresStates = /^(08\d{3}|57P0[123]|53300)$/;

/** SQLite result codes for a file that is locked by another process or cannot be opened/read. */
const sqliteCodes = new Set([
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_CANTOPEN',
  'SQLITE_IOERR',
  'SQLITE_FULL',
]);

/** node-postgres reports a socket that died under a query by message only, with no code. */
const postgresMessages =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|not queryable|Client was closed/i;

function isOutage(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const { name, code, message } = error as { name?: unknown; code?: unknown; message?: unknown };
  if (name === 'KnexTimeoutError') return true;
  if (typeof code === 'string') {
    if (socketCodes.has(code) || postgresStates.test(code)) return true;
    if (sqliteCodes.has(code)) return true;
  }
  return typeof message === 'string' && postgresMessages.test(message);
}

/** Whether `error` (or its cause, or one of an AggregateError's errors) says the database is unreachable. */
export function isDatabaseOutage(error: unknown, depth = 0): boolean {
  if (depth > 5 || !error || typeof error !== 'object') return false;
  if (error instanceof DatabaseUnavailableError) return true;
  if (isOutage(error)) return true;
  if (error instanceof AggregateError && error.errors.some((inner) => isDatabaseOutage(inner, depth + 1)))
    return true;
  return isDatabaseOutage((error as { cause?: unknown }).cause, depth + 1);
}

/** The error to answer with: a DatabaseUnavailableError for an outage, otherwise `error` itself. */
export function classifyDatabaseError(error: unknown): unknown {
  if (error instanceof DatabaseUnavailableError || !isDatabaseOutage(error)) return error;
  return new DatabaseUnavailableError(error);
}

/**
 * A cheap readiness probe: one `select 1`, given up after `timeoutMs` so that /readyz answers quickly
 * even when connections hang rather than fail.
 */
export async function databaseAnswers(db: Knex, timeoutMs = 2000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const probe = db.raw('select 1').then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
