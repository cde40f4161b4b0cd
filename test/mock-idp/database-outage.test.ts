// The mock NHSmail IdP during a database outage (docs/operations.md): on PostgreSQL behind a TCP proxy
// the test cuts and restores, its pages answer the "service unavailable" page and its token endpoint a
// JSON OAuth error, both 503 with Retry-After; /readyz says so, /healthz stays 200; then it recovers.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import type { Knex } from 'knex';
import { createMockIdp, type MockIdp } from '../../mock-idp/app.ts';
import { brokerUpstreamClient } from '../../seeds/clients.ts';
import { loadConfig } from '../../mock-idp/config.ts';
import { mockIdpMigrations, mockIdpMigrationTable } from '../../mock-idp/migrations/index.ts';
import { entraRoutes } from '../../mock-idp/provider/provider.ts';
import { seedMockIdp } from '../../mock-idp/seed.ts';
import { createDatabase, migrate } from '../../shared/database.ts';
import { createLogger } from '../../shared/logger.ts';
import { HttpSession } from '../helpers/httpSession.ts';
import {
  createPostgresSchema,
  dropPostgresSchema,
  postgresRequired,
  postgresUrl,
} from '../helpers/postgres.ts';
import { proxyToPostgres, type TcpProxy } from '../helpers/tcpProxy.ts';

// CI=true makes an unreachable PostgreSQL a failure here; locally these tests are reported as skipped.
const { run } = await postgresRequired();
const postgresTest = run ? test.serial : test.serial.skip;

let proxy: TcpProxy;
let schema: string;
let db: Knex;
let server: http.Server;
let mockUrl: string;
let tokenPath: string;
let dataDir: string;
let mock: MockIdp | undefined;

test.before(async () => {
  if (!run) return;
  const throughProxy = await proxyToPostgres(postgresUrl);
  proxy = throughProxy.proxy;
  schema = await createPostgresSchema(postgresUrl);
  db = createDatabase({ url: throughProxy.url, schema, sqliteFile: '' });
  server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  mockUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dataDir = await mkdtemp(path.join(tmpdir(), 'cqrs-mock-outage-'));
  const config = loadConfig({ MOCK_IDP_URL: mockUrl, DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  tokenPath = entraRoutes(config.tenantId).token;
  await migrate(db, mockIdpMigrations, mockIdpMigrationTable);
  await seedMockIdp(db, config);
  mock = await createMockIdp(config, { db, logger: createLogger('mock-idp', 'silent') });
  server.on('request', mock.app.callback());
});
test.after.always(async () => {
  proxy?.restore();
  server?.closeAllConnections();
  if (server) await new Promise((resolve) => server.close(resolve));
  await mock?.stop();
  await db?.destroy();
  if (schema) await dropPostgresSchema(postgresUrl, schema);
  await proxy?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/**
 * A token request as the broker sends it: it reaches the database (the client registration, not yet
 * read by this mock) before any check can refuse it. Codes themselves live in the mock's memory.
 */
const tokenRequest = () =>
  fetch(`${mockUrl}${tokenPath}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: 'not-a-real-code',
      client_id: brokerUpstreamClient.clientId,
      client_secret: brokerUpstreamClient.developmentSecret,
    }),
  });

postgresTest('pages and the token endpoint answer 503 during an outage, and recover', async (t) => {
  const browser = new HttpSession();
  t.is((await browser.get(`${mockUrl}/`)).status, 200);

  proxy.cut();
  try {
    t.is((await fetch(`${mockUrl}/healthz`)).status, 200);
    const ready = await fetch(`${mockUrl}/readyz`);
    t.is(ready.status, 503);
    t.deepEqual(await ready.json(), { status: 'unavailable', checks: { database: 'down' } });

    const page = await browser.get(`${mockUrl}/`);
    t.is(page.status, 503);
    t.is(page.headers.get('retry-after'), '30');
    t.is(page.$('[data-testid=page-heading]').text().trim(), 'Sorry, the service is unavailable');
    t.is(page.$('[data-testid=correlation-id]').text().trim(), page.headers.get('x-correlation-id') ?? '');
    t.is(page.$('[data-testid=test-marker]').length, 1, 'still marked as a test environment');

    const token = await tokenRequest();
    t.is(token.status, 503);
    t.is(token.headers.get('retry-after'), '30');
    t.like(await token.json(), { error: 'temporarily_unavailable' });
  } finally {
    proxy.restore();
  }

  let ready = 0;
  for (let attempt = 0; attempt < 50 && ready !== 200; attempt += 1) {
    ready = (await fetch(`${mockUrl}/readyz`)).status;
    if (ready !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  t.is(ready, 200);
  t.is((await browser.get(`${mockUrl}/`)).status, 200);
  const token = await tokenRequest();
  t.is(token.status, 400, 'a bad request again, not an outage');
});
