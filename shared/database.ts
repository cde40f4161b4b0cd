// One knex layer for every service: SQLite (Node's built-in driver, WAL, foreign keys on) by default,
// PostgreSQL when a connection URL is given. Migrations are plain modules listed in code, so they run
// the same from a clone, a test or a container with no file scanning.
import fs from 'node:fs';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import pg from 'pg';
import type { Logger } from './logger.ts';
import { execute, NodeSqliteClient } from './sqliteClient.ts';

export type Database = Knex;

export interface DatabaseOptions {
  /** postgres://… to use PostgreSQL; absent for SQLite. */
  url?: string | undefined;
  /** SQLite file used when `url` is absent. */
  sqliteFile: string;
  /** PostgreSQL schema to work in (tests use one schema each). */
  schema?: string | undefined;
}

/** Where knex's own messages go: the first line of each, with its level. */
export type DriverMessages = (level: 'warn' | 'error', message: string) => void;

/**
 * knex's own messages (a connection lost or refused during an outage, a deprecation), one line each,
 * the first line of the message only, so that no stack trace reaches a log or a terminal. Without it
 * knex prints them, stacks and all, with console.log.
 */
function driverLog(sink: DriverMessages): Knex.Config['log'] {
  const firstLine = (message: unknown) => String(message).split('\n', 1)[0] ?? '';
  return {
    warn: (message: unknown) => sink('warn', firstLine(message)),
    error: (message: unknown) => sink('error', firstLine(message)),
    deprecate: (method: unknown, alternative: unknown) =>
      sink('warn', `${String(method)} is deprecated, use ${String(alternative)}`),
    debug: () => undefined,
  };
}

/** A service's logger as the sink of knex's messages: JSON lines of its log. */
function intoLog(logger: Logger): DriverMessages {
  return (level, message) => logger[level]({ driver: message }, 'database driver');
}

export interface Migration {
  name: string;
  up(db: Knex): Promise<void>;
  down(db: Knex): Promise<void>;
}

export function isPostgres(db: Knex): boolean {
  return db.client.config.client === 'pg';
}

const statementCounts = new WeakMap<Knex, { count: number }>();

/**
 * How many SQL statements this knex instance has sent since it was created: each service exposes it
 * as `db_statements_total` at /metrics, and `npm run bench` divides it by the sign-ins it drove.
 */
export function statementsExecuted(db: Knex): number {
  return statementCounts.get(db)?.count ?? 0;
}

function countStatements(db: Knex): Knex {
  const counter = { count: 0 };
  statementCounts.set(db, counter);
  db.on('query', () => {
    counter.count += 1;
  });
  return db;
}

/**
 * `log`: the service's logger, so that knex's own messages join its log, or a command-line tool's sink
 * for them (see driverLog).
 */
export function createDatabase(options: DatabaseOptions, log?: Logger | DriverMessages): Knex {
  const sink = log === undefined || typeof log === 'function' ? log : intoLog(log);
  return countStatements(openDatabase(options, sink ? driverLog(sink) : undefined));
}

/**
 * `compileSqlOnError: false` on both: knex puts the failed statement in front of a driver's error
 * message, and by default with its values written in (an authorization code, a token id, a payload),
 * which a logged error would then carry. With it off the statement keeps its placeholders.
 */
function openDatabase(options: DatabaseOptions, log: Knex.Config['log']): Knex {
  if (options.url) {
    // Timestamps are epoch milliseconds in BIGINT columns; read them back as numbers, not strings.
    pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
    return knex({
      client: 'pg',
      connection: options.url,
      searchPath: options.schema ? [options.schema] : undefined,
      pool: { min: 0, max: 10 },
      log,
      compileSqlOnError: false,
    });
  }
  fs.mkdirSync(path.dirname(options.sqliteFile), { recursive: true });
  return knex({
    client: NodeSqliteClient as unknown as Knex.Config['client'],
    connection: { filename: options.sqliteFile },
    useNullAsDefault: true,
    log,
    compileSqlOnError: false,
    // Node's built-in SQLite driver (shared/sqliteClient.ts): scripts/bench/sqliteSettings.ts measured
    // 60-70 µs of CPU per statement against 130-165 µs for the `sqlite3` package, and 2-3 times the
    // operations per second. It runs each statement on the event loop: while another process (the
    // CLI) holds the write lock, a write here waits up to busy_timeout with the loop stopped; with one
    // connection the process's other statements would wait behind it anyway.
    // One connection per process. Measured with scripts/bench/sqliteSettings.ts on this project's
    // 2-core machine (busy with other work, so noisy): a pool of 2 or 4 cost more CPU per statement
    // than one connection in 11 of 14 paired runs, with no steady gain in throughput. With one
    // connection no statement of this process waits on SQLite's single write lock, and no deferred
    // transaction that reads then writes fails at once with SQLITE_BUSY because another connection
    // wrote in between (busy_timeout does not cover that case). Other processes on the same file
    // (the CLI) wait for the lock up to busy_timeout.
    pool: {
      min: 1,
      max: 1,
      afterCreate(connection: unknown, done: (error: Error | null, connection: unknown) => void) {
        try {
          execute(connection, sqliteServerSettings);
          done(null, connection);
        } catch (caught) {
          done(caught as Error, connection);
        }
      },
    },
  });
}

/**
 * Settings for a server on SQLite (scripts/bench/sqliteSettings.ts compares them). WAL: readers never
 * block the writer. synchronous=NORMAL: in WAL mode a commit no longer waits for an fsync (the WAL is
 * synced at checkpoints); against FULL it gave 2-5 times the operations per second and less CPU per
 * statement in every round. The database stays consistent; a power cut or an operating-system crash
 * (not a crash of the process) may lose the last commits before it: sessions and tokens (users sign
 * in again), the latest audit events or account changes. Deployments that cannot accept that run on
 * PostgreSQL. A 16 MiB page cache (the default is 2 MiB; the broker's file passes that after a few
 * hundred sign-ins) and temporary tables in memory; their effect on this small statement mix was
 * within the noise. The WAL file is trimmed back to 64 MiB after a checkpoint.
 */
export const sqliteServerSettings = [
  'PRAGMA journal_mode = WAL',
  'PRAGMA synchronous = NORMAL',
  'PRAGMA foreign_keys = ON',
  'PRAGMA busy_timeout = 5000',
  'PRAGMA cache_size = -16384',
  'PRAGMA temp_store = MEMORY',
  'PRAGMA journal_size_limit = 67108864',
].join('; ');

/** Applies every migration not yet applied, in order. */
export async function migrate(
  db: Knex,
  migrations: readonly Migration[],
  tableName: string,
): Promise<string[]> {
  const source: Knex.MigrationSource<Migration> = {
    getMigrations: async () => [...migrations],
    getMigrationName: (migration) => migration.name,
    getMigration: async (migration) => migration,
  };
  const [, applied] = (await db.migrate.latest({ migrationSource: source, tableName })) as [number, string[]];
  return applied;
}

/** Current time as epoch milliseconds: every timestamp column holds this, on both backends. */
export function now(): number {
  return Date.now();
}
