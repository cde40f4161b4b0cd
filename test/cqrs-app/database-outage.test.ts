// The CQRS app during a database outage (docs/operations.md): its sessions live in PostgreSQL, here
// behind a TCP proxy the test cuts and restores. Pages answer the "service unavailable" page, 503 with
// Retry-After and the correlation id; /readyz says the database is down, /healthz stays 200; when the
// database is back the app serves again without a restart.
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import test from 'ava';
import type Koa from 'koa';
import type { Knex } from 'knex';
import { createCqrsApp } from '../../cqrs-app/app.ts';
import { loadConfig } from '../../cqrs-app/config.ts';
import { cqrsAppMigrations, cqrsAppMigrationTable } from '../../cqrs-app/migrations/index.ts';
import { seedCqrsApp } from '../../cqrs-app/seed.ts';
import { createDatabase, migrate } from '../../shared/database.ts';
import { createLogger } from '../../shared/logger.ts';
import { HttpSession, mainText } from '../helpers/httpSession.ts';
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
let appUrl: string;
let broker: http.Server | undefined;

test.before(async () => {
  if (!run) return;
  const throughProxy = await proxyToPostgres(postgresUrl);
  proxy = throughProxy.proxy;
  schema = await createPostgresSchema(postgresUrl);
  db = createDatabase({ url: throughProxy.url, schema, sqliteFile: '' });
  await migrate(db, cqrsAppMigrations, cqrsAppMigrationTable);
  await seedCqrsApp(db);
  server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // A stand-in broker that only publishes discovery: enough for "Sign In" to store a session.
  const discovery = http.createServer((_request, response) => {
    const issuer = `http://127.0.0.1:${(discovery.address() as AddressInfo).port}`;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        issuer,
        authorization_endpoint: `${issuer}/auth`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
      }),
    );
  });
  broker = discovery;
  await new Promise<void>((resolve) => discovery.listen(0, '127.0.0.1', resolve));
  const brokerIssuer = `http://127.0.0.1:${(discovery.address() as AddressInfo).port}`;
  const config = loadConfig({ CQRS_APP_URL: appUrl, BROKER_ISSUER: brokerIssuer, LOG_LEVEL: 'silent' });
  const app: Koa = await createCqrsApp(config, { db, logger: createLogger('cqrs-app', 'silent') });
  server.on('request', app.callback());
});
test.after.always(async () => {
  proxy?.restore();
  server?.closeAllConnections();
  if (server) await new Promise((resolve) => server.close(resolve));
  const discovery = broker;
  if (discovery) await new Promise((resolve) => discovery.close(resolve));
  await db?.destroy();
  if (schema) await dropPostgresSchema(postgresUrl, schema);
  await proxy?.close();
});

postgresTest('pages answer 503 "service unavailable" while the database is away, and recover', async (t) => {
  // "Sign In" stores the pending sign-in in a session, which lives in the database.
  const session = new HttpSession();
  const signIn = await session.request(`${appUrl}/auth/login`, { follow: false });
  t.is(signIn.status, 302);
  t.is((await session.get(`${appUrl}/`)).status, 200);

  proxy.cut();
  try {
    t.is((await fetch(`${appUrl}/healthz`)).status, 200);
    const ready = await fetch(`${appUrl}/readyz`);
    t.is(ready.status, 503);
    t.deepEqual(await ready.json(), { status: 'unavailable', checks: { database: 'down' } });

    const page = await session.get(`${appUrl}/`);
    t.is(page.status, 503);
    t.is(page.headers.get('retry-after'), '30');
    t.is(page.$('[data-testid=page-heading]').text().trim(), 'Sorry, the service is unavailable');
    t.regex(mainText(page), /try again later/i);
    t.is(page.$('[data-testid=correlation-id]').text().trim(), page.headers.get('x-correlation-id') ?? '');
    t.is(page.$('.nhsuk-header__service-name').text().trim(), 'Calculating Quality Reporting Service');
  } finally {
    proxy.restore();
  }

  let ready = 0;
  for (let attempt = 0; attempt < 50 && ready !== 200; attempt += 1) {
    ready = (await fetch(`${appUrl}/readyz`)).status;
    if (ready !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  t.is(ready, 200);
  t.is((await session.get(`${appUrl}/`)).status, 200);
});
