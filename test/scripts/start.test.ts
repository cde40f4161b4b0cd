// `npm start` as a newcomer runs it: all three services come up on a fresh data folder, the URLs and
// personas are printed, the guide's journey works against them, and Ctrl-C stops everything cleanly.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { closeServer, listen, portOf } from '../../shared/http/serve.ts';
import { freePort, waitForOutput } from '../helpers/ports.ts';
import { signInAs } from '../helpers/flows.ts';
import type { TestSystem } from '../helpers/system.ts';

/** `npm start` on a fresh data folder and these ports; killed and its folder removed after the test. */
async function startAll(t: ExecutionContext, ports: { broker: number; mock: number; app: number }) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'cqrs-start-'));
  const output = { text: '' };
  const child = spawn(process.execPath, [path.join(import.meta.dirname, '..', '..', 'scripts', 'start.ts')], {
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      BROKER_PORT: String(ports.broker),
      MOCK_IDP_PORT: String(ports.mock),
      CQRS_APP_PORT: String(ports.app),
      BROKER_ISSUER: `http://127.0.0.1:${ports.broker}`,
      MOCK_IDP_URL: `http://127.0.0.1:${ports.mock}`,
      CQRS_APP_URL: `http://127.0.0.1:${ports.app}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output.text += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    output.text += chunk;
  });
  t.teardown(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });
  return { child, output, dataDir };
}

test('npm start runs the three services, prints URLs and personas, and stops on SIGINT', async (t) => {
  const [brokerPort, mockPort, appPort] = [await freePort(), await freePort(), await freePort()];
  const { child, output, dataDir } = await startAll(t, { broker: brokerPort, mock: mockPort, app: appPort });
  await waitForOutput(child, /Press Ctrl-C to stop/, output);
  t.regex(output.text, new RegExp(`CQRS app \\(start here\\)\\s+http://127\\.0\\.0\\.1:${appPort}`));
  t.regex(output.text, /jane\.smith@nhs\.net\s+CQRS message centre/);
  t.regex(output.text, /every password: Passw0rd-2020/);
  const system = {
    appUrl: `http://127.0.0.1:${appPort}`,
    mockUrl: `http://127.0.0.1:${mockPort}`,
    brokerUrl: `http://127.0.0.1:${brokerPort}`,
  } as TestSystem;
  const { page } = await signInAs(system, 'jane.smith@nhs.net');
  t.is(page.$('[data-testid=user-name]').text().trim(), 'Jane Smith');
  t.deepEqual((await readdir(dataDir)).filter((file) => file.endsWith('.sqlite')).sort(), [
    'broker.sqlite',
    'cqrs-app.sqlite',
    'mock-idp.sqlite',
  ]);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  t.is(await exited, 0);
  await t.throwsAsync(
    () => fetch(`http://127.0.0.1:${brokerPort}/healthz`),
    undefined,
    'nothing listens after the stop',
  );
});

test('a port already in use: npm start says which service did not start, exits 1 and leaves nothing running', async (t) => {
  // Another program on the CQRS app's port, answering 200 to everything.
  const squatter = await listen((_request, response) => response.end('someone else'), 0, '127.0.0.1');
  t.teardown(() => closeServer(squatter));
  const [brokerPort, mockPort] = [await freePort(), await freePort()];
  const { child, output } = await startAll(t, { broker: brokerPort, mock: mockPort, app: portOf(squatter) });
  const code = await new Promise<number | null>((resolve) =>
    child.once('exit', (exitCode) => resolve(exitCode)),
  );
  t.is(code, 1, output.text);
  t.regex(output.text, /cqrs-app did not start/);
  t.notRegex(output.text, /Press Ctrl-C to stop/);
  await t.throwsAsync(
    () => fetch(`http://127.0.0.1:${brokerPort}/healthz`),
    undefined,
    'the broker was stopped',
  );
  await t.throwsAsync(() => fetch(`http://127.0.0.1:${mockPort}/healthz`), undefined, 'the mock was stopped');
});
