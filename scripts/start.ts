// `npm start`: runs the mock NHSmail IdP, the broker and the CQRS app on the embedded default
// (SQLite in ./data, seeded on first start), prints their URLs and the personas, and stops all three
// cleanly on Ctrl-C.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { cqrsAppClient } from '../seeds/clients.ts';
import { mockTenantId, personas, seededPassword } from '../seeds/personas.ts';
import { untilListening } from './untilListening.ts';

const root = path.join(import.meta.dirname, '..');
const env = process.env;
// Ports 3000-3002 by default; any of them can be moved, and the three services are told each
// other's URLs consistently.
const brokerUrl = env.BROKER_ISSUER ?? `http://localhost:${env.BROKER_PORT ?? 3000}`;
const mockUrl = env.MOCK_IDP_URL ?? `http://localhost:${env.MOCK_IDP_PORT ?? 3001}`;
const appUrl = env.CQRS_APP_URL ?? `http://localhost:${env.CQRS_APP_PORT ?? 3002}`;
const childEnv = {
  BROKER_ISSUER: brokerUrl,
  MOCK_IDP_URL: mockUrl,
  CQRS_APP_URL: appUrl,
  UPSTREAM_ISSUER: `${mockUrl}/${env.MOCK_TENANT_ID ?? mockTenantId}/v2.0`,
  MOCK_BROKER_REDIRECT_URIS: `${brokerUrl}/upstream/callback`,
  MOCK_BROKER_POST_LOGOUT_REDIRECT_URIS: `${brokerUrl}/,${brokerUrl}/upstream/signed-out`,
  MOCK_BROKER_FRONTCHANNEL_LOGOUT_URI: `${brokerUrl}/upstream/frontchannel-logout`,
  BROKER_HOME_URL: `${appUrl}/`,
  ...env,
  LOG_LEVEL: env.LOG_LEVEL ?? 'warn',
};
const services = [
  { name: 'mock-idp', entry: 'mock-idp/main.ts' },
  { name: 'broker', entry: 'broker/main.ts' },
  { name: 'cqrs-app', entry: 'cqrs-app/main.ts' },
];
const width = Math.max(...services.map((service) => service.name.length));
const children: ChildProcess[] = [];
let stopping = false;

function prefixLines(name: string, stream: NodeJS.ReadableStream, target: NodeJS.WriteStream) {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) target.write(`${name.padEnd(width)} | ${line}\n`);
  });
}

function stopAll(code: number) {
  if (stopping) return;
  stopping = true;
  process.stdout.write('\nStopping the services…\n');
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  const waitAll = Promise.all(
    children.map((child) =>
      child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : null,
    ),
  );
  waitAll.then(() => process.exit(code));
  setTimeout(() => process.exit(code || 1), 12_000).unref();
}

process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

for (const service of services) {
  const child = spawn(process.execPath, [path.join(root, service.entry)], {
    cwd: root,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  children.push(child);
  if (child.stdout) prefixLines(service.name, child.stdout, process.stdout);
  if (child.stderr) prefixLines(service.name, child.stderr, process.stderr);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      process.stderr.write(
        `${service.name} stopped unexpectedly (${signal ?? `exit ${code}`}); stopping the others.\n`,
      );
      stopAll(1);
    }
  });
  try {
    await untilListening(child);
  } catch (error) {
    process.stderr.write(
      `${service.name} did not start: ${(error as Error).message}; its output above says why\n`,
    );
    stopAll(1);
    break;
  }
}

if (!stopping) {
  const rows = personas.map((persona) => `  ${persona.email.padEnd(26)} ${persona.outcome}`);
  process.stdout.write(
    [
      '',
      'CQRS identity broker — all services are running',
      '',
      `  CQRS app (start here)   ${appUrl}`,
      `  Broker (OIDC issuer)    ${brokerUrl}   discovery: ${brokerUrl}/.well-known/openid-configuration`,
      `  Mock NHSmail IdP        ${mockUrl}   (tester landing page and /_mock control API)`,
      '',
      `Personas (every password: ${seededPassword})`,
      ...rows,
      '  any other address          "Incorrect user ID or password…"',
      '',
      `Downstream client: ${cqrsAppClient.clientId} / ${cqrsAppClient.developmentSecret} (development only)`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
}
