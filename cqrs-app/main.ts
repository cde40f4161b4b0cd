// Starts the CQRS app stand-in: the only file of this service that reads the environment and listens.
import { createDatabase, migrate } from '../shared/database.ts';
import { announceListening, closeServer, listen, portOf, stopOnSignals } from '../shared/http/serve.ts';
import { createLogger } from '../shared/logger.ts';
import { createCqrsApp } from './app.ts';
import { loadConfig } from './config.ts';
import { cqrsAppMigrations, cqrsAppMigrationTable } from './migrations/index.ts';
import { seedCqrsApp } from './seed.ts';

const config = loadConfig(process.env);
const logger = createLogger('cqrs-app', config.logLevel);
const db = createDatabase(config.database, logger);
await migrate(db, cqrsAppMigrations, cqrsAppMigrationTable);
await seedCqrsApp(db);
const app = await createCqrsApp(config, { db, logger });
const server = await listen(app.callback(), config.port, config.host);
logger.info(
  { listen: `${config.host}:${portOf(server)}`, url: config.baseUrl, broker: config.brokerIssuer },
  'CQRS app listening',
);
announceListening(server);
stopOnSignals(logger, async () => {
  await closeServer(server);
  await db.destroy();
});
