// Starts the CQRS identity broker: the only file of this service that reads the environment and listens.
import { createDatabase, migrate } from '../shared/database.ts';
import { announceListening, closeServer, listen, portOf, stopOnSignals } from '../shared/http/serve.ts';
import { createLogger } from '../shared/logger.ts';
import { deleteExpiredPayloads } from '../shared/oidc/knexAdapter.ts';
import { createBroker } from './app.ts';
import { loadConfig } from './config.ts';
import { brokerMigrations, brokerMigrationTable } from './migrations/index.ts';
import { seedBroker } from './seed.ts';

const config = loadConfig(process.env);
const logger = createLogger('broker', config.logLevel);
const db = createDatabase(config.database, logger);
await migrate(db, brokerMigrations, brokerMigrationTable);
const existing = await db('oauth_clients').count({ count: '*' }).first();
if (Number(existing?.count ?? 0) === 0 && !config.production) {
  await seedBroker(db, { cqrsAppUrl: config.cqrsAppUrl, cqrsAppSecret: config.cqrsAppSecret });
  logger.info('seeded the CQRS accounts and the cqrs-app client');
}
const { handle, stop: stopBroker } = await createBroker(config, { db, logger });
const server = await listen(handle, config.port, config.host);
const sweeper = setInterval(() => {
  deleteExpiredPayloads(db).catch((error: unknown) =>
    logger.warn({ err: error }, 'could not delete expired payloads'),
  );
}, 60_000);
sweeper.unref();
logger.info(
  { listen: `${config.host}:${portOf(server)}`, issuer: config.issuer, upstream: config.upstream.issuer },
  'CQRS identity broker listening',
);
announceListening(server);
stopOnSignals(logger, async () => {
  clearInterval(sweeper);
  // Stops following the keys and delivering logout tokens (the outbox keeps what is undelivered).
  await stopBroker();
  await closeServer(server);
  await db.destroy();
});
