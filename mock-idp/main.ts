// Starts the mock NHSmail IdP: the only file of this service that reads the environment and listens.
import { createDatabase, migrate } from '../shared/database.ts';
import { announceListening, closeServer, listen, portOf, stopOnSignals } from '../shared/http/serve.ts';
import { createLogger } from '../shared/logger.ts';
import { createMockIdp } from './app.ts';
import { loadConfig } from './config.ts';
import { deleteExpiredRows } from './expiry.ts';
import { mockIdpMigrations, mockIdpMigrationTable } from './migrations/index.ts';
import { seedMockIdp } from './seed.ts';

const config = loadConfig(process.env);
const logger = createLogger('mock-idp', config.logLevel);
const db = createDatabase(config.database, logger);
await migrate(db, mockIdpMigrations, mockIdpMigrationTable);
const existing = await db('nhsmail_accounts').count({ count: '*' }).first();
if (Number(existing?.count ?? 0) === 0) {
  await seedMockIdp(db, config);
  logger.info('seeded the NHSmail personas');
}
const { app, stop: stopMock } = await createMockIdp(config, { db, logger });
const server = await listen(app.callback(), config.port, config.host);
// Expired provider payloads, abandoned MFA/password-change steps and old attempts go once a minute.
const sweeper = setInterval(() => {
  deleteExpiredRows(db, config).catch((error: unknown) =>
    logger.warn({ err: error }, 'could not delete expired rows'),
  );
}, 60_000);
sweeper.unref();
logger.info(
  { listen: `${config.host}:${portOf(server)}`, url: config.baseUrl, issuer: config.issuer },
  'mock NHSmail IdP listening',
);
announceListening(server);
stopOnSignals(logger, async () => {
  clearInterval(sweeper);
  // Stops polling the client registry version.
  await stopMock();
  await closeServer(server);
  await db.destroy();
});
