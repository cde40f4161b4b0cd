// Starts the three real services in this process on ephemeral loopback ports, each with its own fresh
// database (SQLite in a temp folder, or a PostgreSQL schema), exactly as main.ts builds them.
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import type { DestinationStream } from 'pino';
import { type Broker, createBroker } from '../../broker/app.ts';
import { loadConfig as loadBrokerConfig } from '../../broker/config.ts';
import { brokerMigrations, brokerMigrationTable } from '../../broker/migrations/index.ts';
import { seedBroker } from '../../broker/seed.ts';
import { createCqrsApp } from '../../cqrs-app/app.ts';
import { loadConfig as loadAppConfig } from '../../cqrs-app/config.ts';
import { cqrsAppMigrations, cqrsAppMigrationTable } from '../../cqrs-app/migrations/index.ts';
import { seedCqrsApp } from '../../cqrs-app/seed.ts';
import { createMockIdp, type MockIdp } from '../../mock-idp/app.ts';
import { loadConfig as loadMockConfig, type MockIdpConfig } from '../../mock-idp/config.ts';
import { mockIdpMigrations, mockIdpMigrationTable } from '../../mock-idp/migrations/index.ts';
import { seedMockIdp } from '../../mock-idp/seed.ts';
import type { BrokerConfig } from '../../broker/config.ts';
import { createDatabase, migrate } from '../../shared/database.ts';
import { createLogger } from '../../shared/logger.ts';
import { createPostgresSchema, dropPostgresSchema } from './postgres.ts';

export interface SystemOptions {
  /** Extra environment for every service (e.g. MOCK_SKIN=entra). */
  env?: Record<string, string>;
  /** Run the broker on PostgreSQL at this URL (a fresh schema) instead of SQLite. */
  brokerPostgresUrl?: string;
  /** Run the mock on PostgreSQL at this URL (a fresh schema) instead of SQLite. */
  mockPostgresUrl?: string;
  /** Where every service's log lines go (at LOG_LEVEL debug), e.g. to inspect them in a test. */
  logDestination?: DestinationStream;
}

export interface TestSystem {
  mockUrl: string;
  brokerUrl: string;
  appUrl: string;
  mockConfig: MockIdpConfig;
  brokerConfig: BrokerConfig;
  controlToken: string;
  mockDb: Knex;
  brokerDb: Knex;
  appDb: Knex;
  broker: Broker;
  /** The mock IdP serving now (`refreshClients()` after writing its clients). */
  mock: MockIdp;
  /** Stops the broker and starts it again on the same port and database (a restart). */
  restartBroker(): Promise<void>;
  /** Stops the mock and starts it again on the same port and database (a restart, e.g. after a key rotation). */
  restartMock(): Promise<void>;
  close(): Promise<void>;
}

async function reserve(): Promise<http.Server> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const urlOf = (server: http.Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

function serve(server: http.Server, handler: http.RequestListener) {
  server.removeAllListeners('request');
  server.on('request', handler);
}

export async function startSystem(options: SystemOptions = {}): Promise<TestSystem> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'cqrs-test-'));
  const logLevel = options.logDestination ? 'debug' : (process.env.TEST_LOG_LEVEL ?? 'silent');
  const logger = (service: string) => createLogger(service, logLevel, options.logDestination);
  const [mockServer, brokerServer, appServer] = await Promise.all([reserve(), reserve(), reserve()]);
  const mockUrl = urlOf(mockServer);
  const brokerUrl = urlOf(brokerServer);
  const appUrl = urlOf(appServer);
  const common = { DATA_DIR: dataDir, LOG_LEVEL: logLevel, ...options.env };

  const mockConfig = loadMockConfig({
    MOCK_IDP_URL: mockUrl,
    MOCK_BROKER_REDIRECT_URIS: `${brokerUrl}/upstream/callback`,
    MOCK_BROKER_POST_LOGOUT_REDIRECT_URIS: `${brokerUrl}/,${brokerUrl}/upstream/signed-out`,
    MOCK_BROKER_FRONTCHANNEL_LOGOUT_URI: `${brokerUrl}/upstream/frontchannel-logout`,
    // Well past the broker's upstream timeout below, which itself leaves room for a loaded machine.
    MOCK_SLOW_RESPONSE_MS: '7000',
    ...common,
  });
  const mockLogger = logger('mock-idp');
  let mockSchema: string | undefined;
  if (options.mockPostgresUrl) mockSchema = await createPostgresSchema(options.mockPostgresUrl);
  const mockDatabase = options.mockPostgresUrl
    ? { ...mockConfig.database, url: options.mockPostgresUrl, schema: mockSchema }
    : mockConfig.database;
  let mockDb = createDatabase(mockDatabase, mockLogger);
  await migrate(mockDb, mockIdpMigrations, mockIdpMigrationTable);
  await seedMockIdp(mockDb, mockConfig);
  let mock = await createMockIdp(mockConfig, { db: mockDb, logger: mockLogger });
  serve(mockServer, mock.app.callback());

  let brokerSchema: string | undefined;
  if (options.brokerPostgresUrl) brokerSchema = await createPostgresSchema(options.brokerPostgresUrl);
  const brokerConfig = loadBrokerConfig({
    BROKER_ISSUER: brokerUrl,
    UPSTREAM_ISSUER: mockConfig.issuer,
    UPSTREAM_TIMEOUT_MS: '4000',
    UPSTREAM_JWKS_COOLDOWN_SECONDS: '0',
    CQRS_APP_URL: appUrl,
    ...(options.brokerPostgresUrl
      ? { DATABASE_URL: options.brokerPostgresUrl, DATABASE_SCHEMA: brokerSchema }
      : {}),
    ...common,
  });
  const brokerLogger = logger('broker');
  let brokerDb = createDatabase(brokerConfig.database, brokerLogger);
  await migrate(brokerDb, brokerMigrations, brokerMigrationTable);
  await seedBroker(brokerDb, { cqrsAppUrl: appUrl, cqrsAppSecret: brokerConfig.cqrsAppSecret });
  let broker = await createBroker(brokerConfig, { db: brokerDb, logger: brokerLogger });
  serve(brokerServer, broker.handle);

  const appConfig = loadAppConfig({ CQRS_APP_URL: appUrl, BROKER_ISSUER: brokerUrl, ...common });
  const appLogger = logger('cqrs-app');
  const appDb = createDatabase(appConfig.database, appLogger);
  await migrate(appDb, cqrsAppMigrations, cqrsAppMigrationTable);
  await seedCqrsApp(appDb);
  const app = await createCqrsApp(appConfig, { db: appDb, logger: appLogger });
  serve(appServer, app.callback());

  const system: TestSystem = {
    mockUrl,
    brokerUrl,
    appUrl,
    mockConfig,
    brokerConfig,
    controlToken: mockConfig.controlToken,
    mockDb,
    brokerDb,
    appDb,
    broker,
    mock,
    async restartBroker() {
      // Everything the broker knows must come back from its database: a new knex pool, a new app.
      await broker.stop();
      await brokerDb.destroy();
      brokerDb = createDatabase(brokerConfig.database, brokerLogger);
      await migrate(brokerDb, brokerMigrations, brokerMigrationTable);
      broker = await createBroker(brokerConfig, { db: brokerDb, logger: brokerLogger });
      system.brokerDb = brokerDb;
      system.broker = broker;
      serve(brokerServer, broker.handle);
    },
    async restartMock() {
      // As for the broker: a new knex pool, so nothing the mock kept in memory survives.
      await mock.stop();
      await mockDb.destroy();
      mockDb = createDatabase(mockDatabase, mockLogger);
      await migrate(mockDb, mockIdpMigrations, mockIdpMigrationTable);
      mock = await createMockIdp(mockConfig, { db: mockDb, logger: mockLogger });
      system.mockDb = mockDb;
      system.mock = mock;
      serve(mockServer, mock.app.callback());
    },
    async close() {
      for (const server of [mockServer, brokerServer, appServer]) {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
      await system.broker.stop();
      await system.mock.stop();
      await Promise.all([system.mockDb.destroy(), system.brokerDb.destroy(), appDb.destroy()]);
      if (options.brokerPostgresUrl && brokerSchema)
        await dropPostgresSchema(options.brokerPostgresUrl, brokerSchema);
      if (options.mockPostgresUrl && mockSchema)
        await dropPostgresSchema(options.mockPostgresUrl, mockSchema);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return system;
}
