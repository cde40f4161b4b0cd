// PostgreSQL for tests: the server at TEST_DATABASE_URL (default: the local one CI provides). Each test
// works in a schema of its own. In CI an unreachable server is a failure, never a silent skip. And a
// scratch database of either kind, for tests that run the same checks on SQLite and PostgreSQL.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import { createDatabase } from '../../shared/database.ts';

export const postgresUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export async function postgresReachable(): Promise<boolean> {
  const db = knex({
    client: 'pg',
    connection: { connectionString: postgresUrl, connectionTimeoutMillis: 2000 },
  });
  try {
    await db.raw('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await db.destroy();
  }
}

/** Whether PostgreSQL tests must run: always in CI; locally when a server answers. */
export async function postgresRequired(): Promise<{ run: boolean; reason?: string }> {
  if (await postgresReachable()) return { run: true };
  if (process.env.CI === 'true') throw new Error(`CI=true but PostgreSQL is not reachable at ${postgresUrl}`);
  return { run: false, reason: `no PostgreSQL at ${postgresUrl}` };
}

export async function createPostgresSchema(url: string): Promise<string> {
  const schema = `test_${randomBytes(6).toString('hex')}`;
  const db = knex({ client: 'pg', connection: url });
  try {
    await db.raw('create schema ??', [schema]);
  } finally {
    await db.destroy();
  }
  return schema;
}

export async function dropPostgresSchema(url: string, schema: string): Promise<void> {
  const db = knex({ client: 'pg', connection: url });
  try {
    await db.raw('drop schema if exists ?? cascade', [schema]);
  } finally {
    await db.destroy();
  }
}

/**
 * A database of its own for one test: a SQLite file in a temporary folder, or a fresh schema on the
 * test PostgreSQL server. `dispose` closes it and removes the folder or drops the schema.
 */
export async function scratchDatabase(
  backend: 'sqlite' | 'postgres',
): Promise<{ db: Knex; dispose(): Promise<void> }> {
  if (backend === 'sqlite') {
    const dir = await mkdtemp(path.join(tmpdir(), 'cqrs-test-'));
    const db = createDatabase({ sqliteFile: path.join(dir, 'test.sqlite') });
    return {
      db,
      async dispose() {
        await db.destroy();
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = await createPostgresSchema(postgresUrl);
  const db = createDatabase({ url: postgresUrl, schema, sqliteFile: '' });
  return {
    db,
    async dispose() {
      await db.destroy();
      await dropPostgresSchema(postgresUrl, schema);
    },
  };
}
