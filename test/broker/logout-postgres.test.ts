// Two broker instances on one PostgreSQL database (the production topology) share the logout outbox:
// a suspension by the CLI reaches the app once, delivered by exactly one of them.
import test from 'ava';
import { createBroker } from '../../broker/app.ts';
import { runCli } from './cliHarness.ts';
import { createDatabase } from '../../shared/database.ts';
import { createLogger } from '../../shared/logger.ts';
import { eventually } from '../helpers/eventually.ts';
import { postgresRequired, postgresUrl } from '../helpers/postgres.ts';
import { registerClient, signIn, startRelyingPartyHost } from '../helpers/relyingParty.ts';
import { startSystem } from '../helpers/system.ts';

// CI=true makes an unreachable PostgreSQL a failure here; locally the test is reported as skipped.
const { run } = await postgresRequired();
const postgresTest = run ? test : test.skip;

postgresTest('a suspension reaches the app once when two broker instances deliver', async (t) => {
  const system = await startSystem({ brokerPostgresUrl: postgresUrl });
  const host = await startRelyingPartyHost();
  const secondDb = createDatabase(system.brokerConfig.database);
  const second = await createBroker(system.brokerConfig, {
    db: secondDb,
    logger: createLogger('broker-2', 'silent'),
  });
  t.teardown(async () => {
    await second.stop();
    await secondDb.destroy();
    await host.close();
    await system.close();
  });
  const client = await registerClient(system, host, {
    backchannel_logout_uri: `${host.url}/backchannel`,
    backchannel_logout_session_required: true,
  });
  const { tokens } = await signIn(client, 'jane.smith@nhs.net');

  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined) env[name] = value;
  const suspended = await runCli(['accounts', 'suspend', 'jane.smith@nhs.net'], {
    ...env,
    DATABASE_URL: postgresUrl,
    DATABASE_SCHEMA: system.brokerConfig.database.schema ?? '',
    LOG_LEVEL: 'silent',
  });
  t.is(suspended.code, 0, suspended.stderr);

  t.true(
    await eventually(async () => {
      const pending = await system.brokerDb('logout_deliveries').count({ count: '*' }).first();
      return host.posts.length > 0 && Number(pending?.count) === 0;
    }),
  );
  // Nothing can be in flight once both instances have stopped delivering.
  await Promise.all([system.broker.logoutDelivery.stop(), second.logoutDelivery.stop()]);
  const received = host.posts.filter((post) => post.path === '/backchannel');
  t.is(received.length, 1, 'told once');
  const sid = JSON.parse(
    Buffer.from(received[0]?.body.get('logout_token')?.split('.')[1] ?? '', 'base64url').toString(),
  ).sid;
  t.is(sid, tokens.claims()?.sid);
  const delivered = (await system.broker.audit.recent({ limit: 100 })).filter(
    (event) => event.event === 'logout' && event.outcome === 'delivered',
  );
  t.is(delivered.length, 1);
});
