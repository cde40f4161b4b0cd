// Back-channel logout delivery copes with an app being down (docs/connect-your-app.md): the broker
// retries with backoff, audits each attempt, and an app that comes back within the retry window still
// gets its logout token; one that never does is given up on after the last attempt. The user's
// sign-out never waits for it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { eventually } from '../helpers/eventually.ts';
import type { HttpSession } from '../helpers/httpSession.ts';
import {
  registerClient,
  signIn,
  startRelyingPartyHost,
  type RelyingPartyHost,
} from '../helpers/relyingParty.ts';
import { startSystem, type TestSystem } from '../helpers/system.ts';

let system: TestSystem;
let host: RelyingPartyHost;
const metricsToken = 'logout-delivery-metrics-token';

/** The broker's count of back-channel logout attempts with `outcome`, from GET /metrics. */
async function deliveriesCounted(outcome: string): Promise<number> {
  const response = await fetch(`${system.brokerUrl}/metrics`, {
    headers: { authorization: `Bearer ${metricsToken}` },
  });
  const line = new RegExp(
    `^cqrs_broker_backchannel_logout_deliveries_total\\{outcome="${outcome}"\\} (\\d+)$`,
    'm',
  );
  return Number(line.exec(await response.text())?.[1] ?? 0);
}
test.before(async () => {
  // Short backoff so that the retry window is seconds: 150, 300, 600, 1200 ms between five attempts.
  system = await startSystem({
    env: {
      LOGOUT_POLL_MS: '100',
      LOGOUT_RETRY_BASE_MS: '150',
      LOGOUT_MAX_ATTEMPTS: '5',
      METRICS_TOKEN: metricsToken,
    },
  });
  host = await startRelyingPartyHost();
});
test.after.always(async () => {
  await host?.close();
  await system?.close();
});

/** An app's back-channel endpoint that is down (connection refused) until `start` is called. */
async function appThatIsDown() {
  const received: string[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push(new URLSearchParams(Buffer.concat(chunks).toString()).get('logout_token') ?? '');
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return {
    uri: `http://127.0.0.1:${port}/backchannel`,
    received,
    start: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
    async stop() {
      server.closeAllConnections();
      if (server.listening) await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function signOutAtBroker(session: HttpSession): Promise<number> {
  const confirmation = await session.get(`${system.brokerUrl}/session/end`);
  const done = await session.submit(confirmation, '#op\\.logoutForm', { logout: 'yes' });
  return done.status;
}

async function deliveryEvents(clientId: string) {
  const events = await system.broker.audit.recent({ limit: 500 });
  return events.filter((event) => event.event === 'logout' && event.clientId === clientId);
}

test('an app that was down gets its logout token when it comes back within the retry window', async (t) => {
  const app = await appThatIsDown();
  t.teardown(() => app.stop());
  const client = await registerClient(system, host, {
    backchannel_logout_uri: app.uri,
    backchannel_logout_session_required: true,
  });
  const { session, tokens } = await signIn(client, 'jane.smith@nhs.net');
  t.is(await signOutAtBroker(session), 200, 'the sign-out finished while the app was down');

  t.true(
    await eventually(async () =>
      (await deliveryEvents(client.clientId)).some((event) => event.outcome === 'delivery_retry'),
    ),
  );
  // On a slow machine the second attempt may be audited too before this reads: look for the first.
  const retries = (await deliveryEvents(client.clientId)).filter(
    (event) => event.outcome === 'delivery_retry',
  );
  t.true(
    retries.some((event) =>
      /^signed_out; attempt 1 of 5; ECONNREFUSED; next attempt in \d+ s$/.test(event.detail ?? ''),
    ),
    retries.map((event) => event.detail).join(' | '),
  );

  await app.start();
  t.true(await eventually(() => app.received.length === 1), 'delivered once the app answered');
  const { payload } = await jwtVerify(
    app.received[0] ?? '',
    createRemoteJWKSet(new URL(`${system.brokerUrl}/jwks`)),
    {
      issuer: system.brokerUrl,
      audience: client.clientId,
      typ: 'logout+jwt',
    },
  );
  t.is(payload.sid, tokens.claims()?.sid);
  t.true(
    await eventually(async () =>
      (await deliveryEvents(client.clientId)).some((event) => event.outcome === 'delivered'),
    ),
  );
  const delivered = (await deliveryEvents(client.clientId)).find((event) => event.outcome === 'delivered');
  t.notRegex(delivered?.detail ?? '', /attempt 1 of/, 'delivered on a retry');
  // Operators see it at /metrics too (both tests' attempts count there).
  t.true((await deliveriesCounted('delivered')) >= 1);
  t.true((await deliveriesCounted('delivery_retry')) >= 1);
});

test('an app that stays down is given up on after the last attempt, and the failure is audited', async (t) => {
  const app = await appThatIsDown();
  const client = await registerClient(system, host, {
    backchannel_logout_uri: app.uri,
    backchannel_logout_session_required: true,
  });
  const { session } = await signIn(client, 'tom.jones@nhs.net');
  await signOutAtBroker(session);
  t.true(
    await eventually(async () =>
      (await deliveryEvents(client.clientId)).some((event) => event.outcome === 'delivery_failed'),
    ),
  );
  const events = await deliveryEvents(client.clientId);
  t.is(events.filter((event) => event.outcome === 'delivery_retry').length, 4);
  t.regex(
    events.find((event) => event.outcome === 'delivery_failed')?.detail ?? '',
    /attempt 5 of 5; ECONNREFUSED; given up/,
  );
  const pending = await system
    .brokerDb('logout_deliveries')
    .where({ client_id: client.clientId })
    .count({ count: '*' })
    .first();
  t.is(Number(pending?.count), 0, 'nothing left in the outbox');
  t.true((await deliveriesCounted('delivery_failed')) >= 1);
  t.true((await deliveriesCounted('delivery_retry')) >= 4);
});
