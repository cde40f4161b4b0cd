// Liveness and readiness on every service (docs/operations.md): /healthz answers while the process
// serves and touches nothing; /readyz names its checks and says 503 when one is down, such as the
// broker's upstream discovery document when NHSmail does not answer.
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { createBroker } from '../../broker/app.ts';
import { loadConfig } from '../../broker/config.ts';
import { brokerMigrations, brokerMigrationTable } from '../../broker/migrations/index.ts';
import { classifyDatabaseError, isDatabaseOutage } from '../../shared/databaseAvailability.ts';
import { createDatabase, migrate } from '../../shared/database.ts';
import { DatabaseUnavailableError } from '../../shared/errors.ts';
import { createLogger } from '../../shared/logger.ts';
import { startSystem } from '../helpers/system.ts';

test('every service is alive and ready, with named checks', async (t) => {
  const system = await startSystem();
  try {
    for (const url of [system.brokerUrl, system.mockUrl, system.appUrl]) {
      const live = await fetch(`${url}/healthz`);
      t.is(live.status, 200, url);
      t.deepEqual(await live.json(), { status: 'ok' });
      const ready = await fetch(`${url}/readyz`);
      t.is(ready.status, 200, url);
      const body = (await ready.json()) as { status: string; checks: Record<string, string> };
      t.is(body.status, 'ready');
      t.is(body.checks.database, 'up');
    }
    const broker = (await (await fetch(`${system.brokerUrl}/readyz`)).json()) as { checks: object };
    t.deepEqual(broker.checks, { database: 'up', upstream: 'up' });
  } finally {
    await system.close();
  }
});

test('the broker is not ready while the upstream discovery document cannot be loaded', async (t) => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'cqrs-health-'));
  // A loopback port with nothing listening: discovery fails at once.
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  const config = loadConfig({
    DATA_DIR: dataDir,
    UPSTREAM_ISSUER: `http://127.0.0.1:${port}/tenant/v2.0`,
    UPSTREAM_TIMEOUT_MS: '1000',
  });
  const db = createDatabase(config.database);
  const server = http.createServer();
  let stopBroker = async () => {};
  try {
    await migrate(db, brokerMigrations, brokerMigrationTable);
    const { handle, stop } = await createBroker(config, { db, logger: createLogger('broker', 'silent') });
    stopBroker = stop;
    server.on('request', handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    t.is((await fetch(`${url}/healthz`)).status, 200);
    const ready = await fetch(`${url}/readyz`);
    t.is(ready.status, 503);
    t.deepEqual(await ready.json(), {
      status: 'unavailable',
      checks: { database: 'up', upstream: 'down' },
    });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await stopBroker();
    await db.destroy();
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('database failures of both drivers are recognised as an outage, other errors are not', async (t) => {
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  const refused = createDatabase({ url: `postgres://postgres@127.0.0.1:${port}/test`, sqliteFile: '' });
  const refusal = await refused.raw('select 1').catch((error: unknown) => error);
  await refused.destroy();
  t.true(isDatabaseOutage(refusal), 'PostgreSQL refusing connections');
  const classified = classifyDatabaseError(refusal);
  t.true(classified instanceof DatabaseUnavailableError);
  t.is((classified as DatabaseUnavailableError).status, 503);
  t.false((classified as DatabaseUnavailableError).expose);

  const dataDir = await mkdtemp(path.join(tmpdir(), 'cqrs-outage-'));
  const sqlite = createDatabase({ sqliteFile: path.join(dataDir, 'broker.sqlite') });
  try {
    const missingTable = await sqlite.raw('select * from no_such_table').catch((error: unknown) => error);
    t.false(isDatabaseOutage(missingTable), 'a bad query is a bug, not an outage');
    t.is(classifyDatabaseError(missingTable), missingTable);
    // A folder where the file should be: SQLite cannot open it.
    const unopenable = createDatabase({ sqliteFile: dataDir });
    const cannotOpen = await unopenable.raw('select 1').catch((error: unknown) => error);
    await unopenable.destroy();
    t.true(isDatabaseOutage(cannotOpen), 'SQLite cannot open its file');
  } finally {
    await sqlite.destroy();
    await rm(dataDir, { recursive: true, force: true });
  }
  t.false(isDatabaseOutage(new Error('something else')));
});
