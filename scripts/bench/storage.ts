// Bytes the broker's and the mock's databases hold: SQLite pages in use (page_count − freelist_count,
// WAL frames included, since a reader sees them) plus the files on disk; for PostgreSQL,
// pg_total_relation_size of every table in the run's schema (indexes and TOAST included).
import { stat } from 'node:fs/promises';
import knex, { type Knex } from 'knex';
import { createDatabase } from '../../shared/database.ts';

export interface DatabaseSize {
  /** Bytes of live data: what grows per sign-in. */
  bytes: number;
  /** Files on disk (SQLite: main file + -wal + -shm); null for PostgreSQL. */
  fileBytes: number | null;
}

export interface SizeProbe {
  size(): Promise<DatabaseSize>;
  close(): Promise<void>;
}

async function fileSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

export function sqliteSizeProbe(file: string): SizeProbe {
  let db: Knex | undefined;
  const pragma = async (name: string) => {
    db ??= createDatabase({ sqliteFile: file });
    const rows = (await db.raw(`PRAGMA ${name}`)) as Array<Record<string, number>>;
    return Number(Object.values(rows[0] ?? {})[0] ?? 0);
  };
  return {
    async size() {
      const pages = (await pragma('page_count')) - (await pragma('freelist_count'));
      const files = await Promise.all(['', '-wal', '-shm'].map((suffix) => fileSize(`${file}${suffix}`)));
      return { bytes: pages * (await pragma('page_size')), fileBytes: files.reduce((a, b) => a + b, 0) };
    },
    async close() {
      await db?.destroy();
    },
  };
}

export function postgresSizeProbe(url: string, schema: string): SizeProbe {
  const db = knex({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
  return {
    async size() {
      const result = await db.raw(
        `select coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint as bytes
           from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = ? and c.relkind in ('r', 'm')`,
        [schema],
      );
      return { bytes: Number(result.rows[0]?.bytes ?? 0), fileBytes: null };
    },
    async close() {
      await db.destroy();
    },
  };
}

/** A schema of its own in the given PostgreSQL, so a run neither sees nor leaves other data. */
export async function createScratchSchema(url: string, schema: string): Promise<void> {
  const db = knex({ client: 'pg', connection: url });
  try {
    await db.raw('create schema ??', [schema]);
  } finally {
    await db.destroy();
  }
}

export async function dropScratchSchema(url: string, schema: string): Promise<void> {
  const db = knex({ client: 'pg', connection: url });
  try {
    await db.raw('drop schema if exists ?? cascade', [schema]);
  } finally {
    await db.destroy();
  }
}
