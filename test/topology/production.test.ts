// The production topology (docs/operations.md): two broker processes on one PostgreSQL database (a
// fresh schema) behind nginx terminating TLS, an https issuer, Secure cookies, X-Forwarded-* believed
// from nginx's address only, and a complete sign-in through the mock that starts on one instance and
// ends on the other. Each service runs as docker-compose.yml runs it: `node <service>/main.ts`.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { setGlobalDispatcher } from 'undici';
import { mockTenantId } from '../../seeds/personas.ts';
import { submitCredentials } from '../helpers/flows.ts';
import { HttpSession } from '../helpers/httpSession.ts';
import {
  createPostgresSchema,
  dropPostgresSchema,
  postgresRequired,
  postgresUrl,
} from '../helpers/postgres.ts';
import { freePort } from '../helpers/ports.ts';
import {
  type RunningProcess,
  selfSignedCertificate,
  startNginx,
  startService,
  trusting,
  waitUntilReady,
} from '../helpers/topology.ts';

// CI=true makes an unreachable PostgreSQL a failure here; locally the test is reported as skipped.
const { run } = await postgresRequired();
const postgresTest = run ? test.serial : test.serial.skip;

/** nginx connects to the instances from this address: the only one in their TRUST_PROXY. */
const proxyAddress = '127.0.0.2';

interface RequestLine {
  msg?: string;
  path?: string;
  method?: string;
  time?: number;
}

/** The requests an instance logged, in order. */
function requestsOf(instance: RunningProcess): RequestLine[] {
  return instance.lines
    .map((line) => {
      try {
        return JSON.parse(line) as RequestLine;
      } catch {
        return {};
      }
    })
    .filter((line) => line.msg === 'request');
}

postgresTest(
  'two brokers on PostgreSQL behind nginx: https issuer, Secure cookies, one sign-in across both',
  async (t) => {
    const directory = await mkdtemp(path.join(tmpdir(), 'cqrs-topology-'));
    const schema = await createPostgresSchema(postgresUrl);
    const processes: RunningProcess[] = [];
    t.teardown(async () => {
      for (const running of processes.reverse()) await running.stop();
      await dropPostgresSchema(postgresUrl, schema);
      await rm(directory, { recursive: true, force: true });
    });

    const tls = await selfSignedCertificate(directory);
    // This test's own HTTP (the "browser") trusts the proxy's certificate, as the app does below.
    setGlobalDispatcher(trusting(tls.pem));
    const [mockPort, appPort, proxyPort, ...brokerPorts] = await Promise.all(
      Array.from({ length: 5 }, () => freePort()),
    );
    const issuer = `https://127.0.0.1:${proxyPort}`;
    const mockUrl = `http://127.0.0.1:${mockPort}`;
    const appUrl = `http://127.0.0.1:${appPort}`;
    const common = { PATH: process.env.PATH ?? '/usr/bin:/bin', DATA_DIR: directory, LOG_LEVEL: 'info' };

    processes.push(
      await startService(
        'mock-idp',
        'mock-idp/main.ts',
        {
          ...common,
          MOCK_IDP_PORT: String(mockPort),
          MOCK_IDP_URL: mockUrl,
          MOCK_BROKER_REDIRECT_URIS: `${issuer}/upstream/callback`,
          MOCK_BROKER_POST_LOGOUT_REDIRECT_URIS: `${issuer}/`,
        },
        `${mockUrl}/${mockTenantId}/v2.0/.well-known/openid-configuration`,
      ),
    );
    // One after the other: the first migrates and seeds the shared database.
    const brokers: RunningProcess[] = [];
    for (const [index, port] of brokerPorts.entries()) {
      const broker = await startService(
        `broker-${index + 1}`,
        'broker/main.ts',
        {
          ...common,
          BROKER_PORT: String(port),
          BROKER_ISSUER: issuer,
          DATABASE_URL: postgresUrl,
          DATABASE_SCHEMA: schema,
          UPSTREAM_ISSUER: `${mockUrl}/${mockTenantId}/v2.0`,
          CQRS_APP_URL: appUrl,
          TRUST_PROXY: proxyAddress,
        },
        `http://127.0.0.1:${port}/healthz`,
      );
      brokers.push(broker);
      processes.push(broker);
    }
    const nginx = await startNginx(directory, {
      BROKER_UPSTREAM_1: `127.0.0.1:${brokerPorts[0]}`,
      BROKER_UPSTREAM_2: `127.0.0.1:${brokerPorts[1]}`,
      PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
      PROXY_SERVER_NAME: '127.0.0.1',
      TLS_CERTIFICATE: tls.certificate,
      TLS_CERTIFICATE_KEY: tls.key,
      PROXY_BIND: proxyAddress,
    });
    processes.push(nginx);
    await waitUntilReady(nginx, `${issuer}/healthz`);
    processes.push(
      await startService(
        'cqrs-app',
        'cqrs-app/main.ts',
        {
          ...common,
          CQRS_APP_PORT: String(appPort),
          CQRS_APP_URL: appUrl,
          BROKER_ISSUER: issuer,
          // The app reaches the broker through the proxy and trusts its certificate, as in a deployment.
          NODE_EXTRA_CA_CERTS: tls.certificate,
        },
        `${appUrl}/`,
      ),
    );

    // Through nginx, discovery names the https issuer and its endpoints.
    const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as {
      issuer: string;
      authorization_endpoint: string;
    };
    t.is(discovery.issuer, issuer);
    t.is(discovery.authorization_endpoint, `${issuer}/auth`);

    // Through nginx, a caller's own Host header does not move the endpoints either.
    const ca = await readFile(tls.certificate);
    const spoofed = await new Promise<{ authorization_endpoint: string }>((resolve, reject) => {
      const request = https.request(
        `${issuer}/.well-known/openid-configuration`,
        { ca, headers: { host: 'attacker.example' }, servername: '' },
        (response) => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            body += chunk;
          });
          response.on('end', () => resolve(JSON.parse(body) as { authorization_endpoint: string }));
        },
      );
      request.on('error', reject);
      request.end();
    });
    t.is(spoofed.authorization_endpoint, `${issuer}/auth`);

    // Straight to an instance, forwarded headers are not believed: they come from no proxy.
    for (const port of brokerPorts) {
      const direct = (await (
        await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`, {
          headers: { 'x-forwarded-host': 'attacker.example', 'x-forwarded-proto': 'https' },
        })
      ).json()) as { issuer: string; authorization_endpoint: string };
      t.is(direct.issuer, issuer);
      t.is(direct.authorization_endpoint, `http://127.0.0.1:${port}/auth`);
    }

    // The guide's journey through the proxy: "Sign In", NHSmail, the message centre.
    const before = brokers.map((broker) => requestsOf(broker).length);
    const session = new HttpSession();
    const landing = await session.get(`${appUrl}/`);
    const signIn = landing.$('[data-testid=sign-in]').attr('href');
    t.truthy(signIn);
    const login = await session.get(new URL(signIn ?? '/', landing.url).href);
    t.true(login.url.startsWith(mockUrl), 'the sign-in went through the broker to NHSmail');
    const end = await submitCredentials(session, login, 'jane.smith@nhs.net');
    t.is(end.url, `${appUrl}/messages`);
    t.is(end.$('[data-testid=user-name]').text().trim(), 'Jane Smith');
    t.true(end.trail.some((url) => url.startsWith(`${issuer}/`)));

    // Every broker cookie is Secure: the instances saw https through nginx's X-Forwarded-Proto.
    const cookies = (await session.jar.getCookies(`${issuer}/`)).filter((cookie) =>
      cookie.key.startsWith('cqrs_broker_'),
    );
    t.true(cookies.some((cookie) => cookie.key === 'cqrs_broker_session'));
    t.true(cookies.every((cookie) => cookie.secure));

    // Each hand-over crossed instances: the authorization request began on one and NHSmail's callback
    // came back to the other, which finished the sign-in; the sign-in finished on one was resumed by
    // the other; the code issued on one was redeemed on the other.
    const served = brokers.map((broker, index) =>
      requestsOf(broker)
        .slice(before[index])
        .map((line) => ({ instance: index, path: line.path ?? '', time: line.time ?? 0 })),
    );
    const flow = served.flat().sort((a, b) => a.time - b.time);
    const trail = JSON.stringify(flow);
    const start = flow.findIndex((step) => step.path === '/auth');
    const issued = flow.findLastIndex((step) => step.path.startsWith('/auth/'));
    t.true(start >= 0 && issued > start, trail);
    // From /auth the browser went straight to NHSmail: the broker's next request is NHSmail's callback.
    t.is(flow[start + 1]?.path, '/upstream/callback', trail);
    t.not(flow[start]?.instance, flow[start + 1]?.instance, `the sign-in moved instance: ${trail}`);
    // The browser that started the sign-in finishes it at the callback itself: no hop between.
    t.is(issued - 1, start + 1, trail);
    t.not(flow[issued - 1]?.instance, flow[issued]?.instance, `the interaction moved instance: ${trail}`);
    t.is(flow[issued + 1]?.path, '/token', trail);
    t.not(flow[issued]?.instance, flow[issued + 1]?.instance, `the code moved instance: ${trail}`);
  },
);
