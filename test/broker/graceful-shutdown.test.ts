// Graceful shutdown of the real broker process (`node broker/main.ts`, as a container runs it): on
// SIGTERM it stops accepting, lets the sign-in in flight finish (its upstream token call is slowed by
// the mock's `slow` scenario), then closes the database and exits 0.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { freePort, waitForOutput } from '../helpers/ports.ts';
import { seededPassword } from '../../seeds/personas.ts';
import { armScenario } from '../helpers/flows.ts';
import { HttpSession, type Page } from '../helpers/httpSession.ts';
import { startSystem } from '../helpers/system.ts';

/** Follows redirects one hop at a time until the next hop is one that `stop` picks; returns its URL. */
async function redirectsUntil(
  session: HttpSession,
  page: Page,
  stop: (url: URL) => boolean,
): Promise<string> {
  let current = page;
  for (let hop = 0; hop < 10; hop += 1) {
    const location = current.headers.get('location');
    if (!location) throw new Error(`no redirect at ${current.url} (${current.status})`);
    const next = new URL(location, current.url);
    if (stop(next)) return next.href;
    current = await session.request(next.href, { follow: false });
  }
  throw new Error('never reached the hop it was waiting for');
}

test('SIGTERM lets a sign-in in flight complete, then the broker exits 0', async (t) => {
  const port = await freePort();
  const brokerUrl = `http://127.0.0.1:${port}`;
  // The mock logs when the armed fault takes the token request (it runs no query for it).
  let tokenCallSeen = () => {};
  const tokenCallArrived = new Promise<void>((resolve) => {
    tokenCallSeen = resolve;
  });
  const system = await startSystem({
    env: {
      MOCK_BROKER_REDIRECT_URIS: `${brokerUrl}/upstream/callback`,
      MOCK_BROKER_POST_LOGOUT_REDIRECT_URIS: `${brokerUrl}/`,
      MOCK_SLOW_RESPONSE_MS: '1500',
    },
    logDestination: {
      write(line: string) {
        if (line.includes('"msg":"token fault applied"')) tokenCallSeen();
      },
    },
  });
  const dataDir = await mkdtemp(path.join(tmpdir(), 'cqrs-shutdown-'));
  const output = { text: '' };
  const child = spawn(process.execPath, [path.join(import.meta.dirname, '..', '..', 'broker', 'main.ts')], {
    env: {
      PATH: process.env.PATH ?? '',
      DATA_DIR: dataDir,
      BROKER_PORT: String(port),
      BROKER_ISSUER: brokerUrl,
      UPSTREAM_ISSUER: system.mockConfig.issuer,
      UPSTREAM_TIMEOUT_MS: '20000',
      CQRS_APP_URL: system.appUrl,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output.text += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    output.text += chunk;
  });
  try {
    await waitForOutput(child, /CQRS identity broker listening/, output);
    const verifier = randomBytes(32).toString('base64url');
    const authorize = new URL(`${brokerUrl}/auth`);
    authorize.search = new URLSearchParams({
      client_id: 'cqrs-app',
      response_type: 'code',
      scope: 'openid',
      redirect_uri: `${system.appUrl}/auth/callback`,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      state: randomBytes(8).toString('hex'),
      nonce: randomBytes(8).toString('hex'),
    }).toString();
    const session = new HttpSession();
    const login = await session.get(authorize.href);
    t.true(login.url.startsWith(system.mockUrl), login.url);
    await armScenario(system, 'slow', 'jane.smith@nhs.net');
    const submitted = await session.submit(
      login,
      'form:has(input[name=password])',
      { username: 'jane.smith@nhs.net', password: seededPassword },
      { follow: false },
    );
    // NHSmail → /upstream/callback, which calls the mock's token endpoint.
    const callback = await redirectsUntil(
      session,
      submitted,
      (url) => url.origin === brokerUrl && url.pathname === '/upstream/callback',
    );

    // The broker's token call reaches the mock, which holds it: the callback is now in flight.
    const inFlight = session.request(callback, { follow: false });
    await Promise.race([
      tokenCallArrived,
      inFlight.then((page) => {
        throw new Error(`the callback answered ${page.status} before its token call reached the mock`);
      }),
    ]);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');

    const answer = await inFlight;
    t.is(answer.status, 303, output.text);
    t.true(
      answer.headers.get('location')?.startsWith(`${brokerUrl}/auth/`),
      'on to the authorization resume',
    );
    t.is(await exited, 0, output.text);
    t.regex(output.text, /stopping: finishing requests in flight/);
    t.regex(output.text, /"path":"\/upstream\/callback","status":30[23]/);
    t.regex(output.text, /"msg":"stopped"/);
    await t.throwsAsync(() => fetch(`${brokerUrl}/healthz`), undefined, 'nothing listens after the stop');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await system.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});
