// Revocation by the indexed owner columns of oidc_payloads, on SQLite and PostgreSQL: rows written
// before the columns existed are backfilled by the migration, and revoking an account or a client
// removes exactly its sessions, grants and tokens.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import type { Knex } from 'knex';
import { revokeAccountTokens, revokeClientTokens } from '../../broker/issuer/revocation.ts';
import { brokerMigrations, brokerMigrationTable } from '../../broker/migrations/index.ts';
import { createDatabase, migrate } from '../../shared/database.ts';
import { createKnexAdapter } from '../../shared/oidc/knexAdapter.ts';
import { oidcPayloadOwnersMigration } from '../../shared/oidc/migration.ts';
import {
  createPostgresSchema,
  dropPostgresSchema,
  postgresRequired,
  postgresUrl,
} from '../helpers/postgres.ts';

const postgresCheck = await postgresRequired();

async function open(backend: 'sqlite' | 'postgres'): Promise<{ db: Knex; dispose(): Promise<void> }> {
  if (backend === 'sqlite') {
    const dir = await mkdtemp(path.join(tmpdir(), 'cqrs-revocation-'));
    const db = createDatabase({ sqliteFile: path.join(dir, 'broker.sqlite') });
    const dispose = async () => {
      await db.destroy();
      await rm(dir, { recursive: true, force: true });
    };
    return { db, dispose };
  }
  const schema = await createPostgresSchema(postgresUrl);
  const db = createDatabase({ url: postgresUrl, schema, sqliteFile: '' });
  const dispose = async () => {
    await db.destroy();
    await dropPostgresSchema(postgresUrl, schema);
  };
  return { db, dispose };
}

for (const backend of ['sqlite', 'postgres'] as const) {
  const available = backend === 'sqlite' || postgresCheck.run;
  (available ? test : test.skip)(
    `${backend}: owners are backfilled, and revocation ends exactly theirs`,
    async (t) => {
      const { db, dispose } = await open(backend);
      t.teardown(dispose);
      const before = brokerMigrations.slice(0, brokerMigrations.indexOf(oidcPayloadOwnersMigration));
      await migrate(db, before, brokerMigrationTable);
      // Written by a broker of the previous release: no owner columns yet.
      await db('oidc_payloads').insert([
        { model: 'Session', id: 's-old', payload: JSON.stringify({ accountId: 'acc-1', jti: 's-old' }) },
        { model: 'Grant', id: 'g-old', payload: JSON.stringify({ accountId: 'acc-1', clientId: 'app-1' }) },
        // A value with LIKE wildcards must match nothing else.
        { model: 'Session', id: 's-wild', payload: JSON.stringify({ accountId: 'acc-%', jti: 's-wild' }) },
      ]);
      await migrate(db, brokerMigrations, brokerMigrationTable);
      const Adapter = createKnexAdapter(db);
      await new Adapter('AccessToken').upsert(
        'at-1',
        { accountId: 'acc-1', clientId: 'app-2', jti: 'at-1' },
        60,
      );
      await new Adapter('AccessToken').upsert(
        'at-2',
        { accountId: 'acc-2', clientId: 'app-1', jti: 'at-2' },
        60,
      );
      await new Adapter('AccessToken').upsert(
        'at-3',
        { accountId: 'acc-2', clientId: 'app-2', jti: 'at-3' },
        60,
      );

      t.is(await revokeAccountTokens(db, 'acc-1'), 3);
      t.deepEqual((await db('oidc_payloads').orderBy('id').pluck('id')) as string[], [
        'at-2',
        'at-3',
        's-wild',
      ]);
      t.is(await revokeClientTokens(db, 'app-1'), 1);
      t.deepEqual((await db('oidc_payloads').orderBy('id').pluck('id')) as string[], ['at-3', 's-wild']);
    },
  );
}
