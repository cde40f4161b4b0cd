// The PostgreSQL run: every service's migrations and seeds apply on PostgreSQL, the guide's journey
// works with the broker on PostgreSQL, and two broker instances on one database share their keys.
import http from 'node:http';
import test from 'ava';
import type { Knex } from 'knex';
import { createBroker } from '../../broker/app.ts';
import { brokerMigrations, brokerMigrationTable } from '../../broker/migrations/index.ts';
import { seedBroker } from '../../broker/seed.ts';
import { cqrsAppMigrations, cqrsAppMigrationTable } from '../../cqrs-app/migrations/index.ts';
import { seedCqrsApp } from '../../cqrs-app/seed.ts';
import { loadConfig as loadMockConfig } from '../../mock-idp/config.ts';
import { mockIdpMigrations, mockIdpMigrationTable } from '../../mock-idp/migrations/index.ts';
import { seedMockIdp } from '../../mock-idp/seed.ts';
import { createDatabase, migrate } from '../../shared/database.ts';
import { createLogger } from '../../shared/logger.ts';
import { signInAs } from '../helpers/flows.ts';
import {
  createPostgresSchema,
  dropPostgresSchema,
  postgresRequired,
  postgresUrl,
} from '../helpers/postgres.ts';
import { startSystem } from '../helpers/system.ts';

// CI=true makes an unreachable PostgreSQL a failure here; locally these tests are reported as skipped.
const { run } = await postgresRequired();
const postgresTest = run ? test.serial : test.serial.skip;

postgresTest('every service migrates and seeds on PostgreSQL, twice without harm', async (t) => {
  // Each service has a database of its own; here, a schema each.
  const services = [
    {
      migrations: brokerMigrations,
      table: brokerMigrationTable,
      seed: (db: Knex) =>
        seedBroker(db, { cqrsAppUrl: 'http://localhost:3002', cqrsAppSecret: 'cqrs-app-development-secret' }),
      count: ['accounts', 7],
    },
    {
      migrations: mockIdpMigrations,
      table: mockIdpMigrationTable,
      seed: (db: Knex) => seedMockIdp(db, loadMockConfig({})),
      count: ['nhsmail_accounts', 8],
    },
    {
      migrations: cqrsAppMigrations,
      table: cqrsAppMigrationTable,
      seed: (db: Knex) => seedCqrsApp(db),
      count: ['messages', 4],
    },
  ] as const;
  for (const service of services) {
    const schema = await createPostgresSchema(postgresUrl);
    const db = createDatabase({ url: postgresUrl, schema, sqliteFile: '' });
    try {
      for (let round = 0; round < 2; round += 1) {
        await migrate(db, service.migrations, service.table);
        await service.seed(db);
      }
      const [table, expected] = service.count;
      t.is(Number((await db(table).count({ count: '*' }).first())?.count), expected, table);
    } finally {
      await db.destroy();
      await dropPostgresSchema(postgresUrl, schema);
    }
  }
});

postgresTest('the guide journey with the broker on PostgreSQL, across a restart', async (t) => {
  const system = await startSystem({ brokerPostgresUrl: postgresUrl });
  try {
    const { session, page } = await signInAs(system, 'jane.smith@nhs.net');
    t.is(page.url, `${system.appUrl}/messages`);
    t.is(page.$('[data-testid=user-name]').text().trim(), 'Jane Smith');
    await system.restartBroker();
    const again = await session.get(`${system.appUrl}/auth/login`);
    t.is(again.url, `${system.appUrl}/messages`);
    t.false(
      again.trail.some((url) => url.startsWith(system.mockUrl)),
      'the broker session survived the restart',
    );
  } finally {
    await system.close();
  }
});

postgresTest('two broker instances on one PostgreSQL database publish the same keys', async (t) => {
  const system = await startSystem({ brokerPostgresUrl: postgresUrl });
  const secondDb = createDatabase(system.brokerConfig.database);
  try {
    const second = await createBroker(system.brokerConfig, {
      db: secondDb,
      logger: createLogger('broker-2', 'silent'),
    });
    const jwksOf = async (handle: typeof second.handle) => {
      const server = http.createServer(handle).listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      const { port } = server.address() as { port: number };
      const body = await (await fetch(`http://127.0.0.1:${port}/jwks`)).json();
      await new Promise((resolve) => server.close(resolve));
      return body;
    };
    t.deepEqual(await jwksOf(second.handle), await (await fetch(`${system.brokerUrl}/jwks`)).json());
    t.deepEqual(
      second.cookieKeys.secrets,
      system.broker.cookieKeys.secrets,
      'the same cookie keys, so either instance reads the other’s cookies',
    );
    await second.stop();
  } finally {
    await secondDb.destroy();
    await system.close();
  }
});
