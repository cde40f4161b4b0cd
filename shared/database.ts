// One knex layer for every service: SQLite (WAL, foreign keys on) by default, PostgreSQL when a
// connection URL is given. Migrations are plain modules listed in code, so they run the same from a
// clone, a test or a container with no file scanning.
import fs from 'node:fs';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import pg from 'pg';

export type Database = Knex;

export interface DatabaseOptions {
  /** postgres://… to use PostgreSQL; absent for SQLite. */
  url?: string | undefined;
  /** SQLite file used when `url` is absent. */
  sqliteFile: string;
  /** PostgreSQL schema to work in (tests use one schema each). */
  schema?: string | undefined;
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

export function createDatabase(options: DatabaseOptions): Knex {
  return countStatements(openDatabase(options));
}

function openDatabase(options: DatabaseOptions): Knex {
  if (options.url) {
    // Timestamps are epoch milliseconds in BIGINT columns; read them back as numbers, not strings.
    pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
    return knex({
      client: 'pg',
      connection: options.url,
      searchPath: options.schema ? [options.schema] : undefined,
      pool: { min: 0, max: 10 },
    });
  }
  fs.mkdirSync(path.dirname(options.sqliteFile), { recursive: true });
  return knex({
    client: 'sqlite3',
    connection: { filename: options.sqliteFile },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      // Every connection gets WAL (readers never block the writer) and enforced foreign keys.
      afterCreate(connection: SqliteConnection, done: (error: Error | null, connection: unknown) => void) {
        connection.exec(
          'PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;',
          (error) => done(error, connection),
        );
      },
    },
  });
}

interface SqliteConnection {
  exec(sql: string, callback: (error: Error | null) => void): void;
}

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
