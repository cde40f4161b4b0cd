// What every cqrs-broker command shares: the broker's own configuration and database (the same
// environment as the running broker, so SQLite by DATA_DIR or PostgreSQL by DATABASE_URL), the error
// that ends a command with a one-line message, and the parsers for option values.
import os from 'node:os';
import { InvalidArgumentError } from 'commander';
import type { Knex } from 'knex';
import { isDatabaseOutage } from '../../shared/databaseAvailability.ts';
import { createDatabase, migrate } from '../../shared/database.ts';
import { DatabaseUnavailableError, ServiceError } from '../../shared/errors.ts';
import { type BrokerCliConfig, loadCliConfig } from '../config.ts';
import { brokerMigrations, brokerMigrationTable } from '../migrations/index.ts';

/** A failure the administrator can act on: printed as one line, exit code 1 unless said otherwise. */
export class CliError extends ServiceError {
  override name = 'CliError';
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super('cli_refused', message, { status: 400, expose: true });
    this.exitCode = exitCode;
  }
}

export interface CliContext {
  /** Only the settings commands use: the CLI runs without the server's secrets. */
  config: Readonly<BrokerCliConfig>;
  db: Knex;
  /** Migrations this run applied (every command brings the schema up to date first). */
  appliedMigrations: string[];
  /** Who is at the keyboard, for audit events: the OS user, since the CLI has no login of its own. */
  actor: string;
}

function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    // Containers may run as a uid without a passwd entry.
    return process.env.USER ?? `uid ${process.getuid?.() ?? 'unknown'}`;
  }
}

/** Opens the broker's database, migrates it, runs `work` and always closes the connection pool. */
export async function withBroker<T>(work: (context: CliContext) => Promise<T>): Promise<T> {
  const config = loadCliConfig(process.env);
  // knex's own messages (a connection attempt that failed, which it reports as a warning before the
  // query fails) are not shown: the command's failure says it once, in one line (main.ts).
  const db = createDatabase(config.database, () => undefined);
  try {
    const appliedMigrations = await migrate(db, brokerMigrations, brokerMigrationTable);
    return await work({ config, db, appliedMigrations, actor: `${currentUser()} via cqrs-broker CLI` });
  } finally {
    await db.destroy();
  }
}

/**
 * For a database that cannot be reached or used, what to say and what to check; undefined for anything
 * else. Which failures those are is the services' decision too (shared/databaseAvailability.ts).
 */
export function unreachableDatabase(error: unknown): string | undefined {
  if (!isDatabaseOutage(error)) return undefined;
  const cause = error instanceof DatabaseUnavailableError && error.cause !== undefined ? error.cause : error;
  const reason = failureReason(cause);
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && code.startsWith('SQLITE_'))
    return `cannot use the database (${reason}); check DATA_DIR and that the database file can be opened`;
  return `cannot reach the database (${reason}); check DATABASE_URL and that the database is up`;
}

/**
 * The first line of an unexpected error's message, without the SQL that knex puts in front of a
 * database error (`<query> - <database message>`; the query keeps its placeholders, shared/database.ts).
 */
export function failureReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const firstLine = error.message.split('\n')[0] ?? '';
  const fromDatabase = 'code' in error && firstLine.includes(' - ');
  const reason = fromDatabase ? firstLine.slice(firstLine.lastIndexOf(' - ') + 3) : firstLine;
  return reason.slice(0, 300) || String((error as NodeJS.ErrnoException).code ?? error.name);
}

/** For repeatable options (`--redirect-uri a --redirect-uri b`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function integerBetween(minimum: number, maximum: number): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value.trim()) || parsed < minimum || parsed > maximum)
      throw new InvalidArgumentError(`must be a whole number from ${minimum} to ${maximum}`);
    return parsed;
  };
}

export function numberBetween(minimum: number, maximum: number): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (value.trim() === '' || !Number.isFinite(parsed) || parsed < minimum || parsed > maximum)
      throw new InvalidArgumentError(`must be a number from ${minimum} to ${maximum}`);
    return parsed;
  };
}
