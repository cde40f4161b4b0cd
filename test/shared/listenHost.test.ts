// `npm start` serves development secrets, seeded personas and the mock's control API: outside
// production the services listen on loopback only, unless LISTEN_HOST says otherwise; in production
// (and in the image) on every interface, where the proxy or the container network reaches them.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { ConfigError, listenHost } from '../../shared/config.ts';
import { freePort, waitForOutput } from '../helpers/ports.ts';

test('loopback in development, every interface in production, LISTEN_HOST when set', (t) => {
  t.is(listenHost({}), '127.0.0.1');
  t.is(listenHost({ NODE_ENV: 'development' }), '127.0.0.1');
  t.is(listenHost({ NODE_ENV: 'production' }), '0.0.0.0');
  t.is(listenHost({ LISTEN_HOST: '0.0.0.0' }), '0.0.0.0');
  t.is(listenHost({ NODE_ENV: 'production', LISTEN_HOST: '10.0.0.5' }), '10.0.0.5');
  t.is(listenHost({ LISTEN_HOST: '::1' }), '::1');
  t.is(listenHost({ LISTEN_HOST: 'localhost' }), 'localhost');
  const error = t.throws(() => listenHost({ LISTEN_HOST: 'sso.example' }), { instanceOf: ConfigError });
  t.regex(error?.message ?? '', /LISTEN_HOST: must be an IP address or localhost, got "sso\.example"/);
});

test("a service started for development answers on loopback and not on this machine's other addresses", async (t) => {
  const port = await freePort();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'cqrs-listen-'));
  const output = { text: '' };
  const child = spawn(process.execPath, [path.join(import.meta.dirname, '..', '..', 'cqrs-app', 'main.ts')], {
    env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, CQRS_APP_PORT: String(port), LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output.text += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    output.text += chunk;
  });
  await waitForOutput(child, /CQRS app listening/, output);
  t.regex(output.text, new RegExp(`"listen":"127\\.0\\.0\\.1:${port}"`));
  t.is((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
  // Every other IPv4 address of this machine's own interfaces is refused.
  const others = Object.values(networkInterfaces())
    .flat()
    .filter((address) => address && address.family === 'IPv4' && !address.internal)
    .map((address) => address?.address);
  for (const address of others) {
    const error = await t.throwsAsync(
      fetch(`http://${address}:${port}/healthz`, { signal: AbortSignal.timeout(5000) }),
    );
    t.is((error?.cause as NodeJS.ErrnoException | undefined)?.code, 'ECONNREFUSED', String(address));
  }
});
