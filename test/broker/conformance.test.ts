// `cqrs-broker conformance` as an operator runs it: a child process with no broker settings or database,
// against the local broker (every check passes) and against a deliberately faulty provider (the checks
// for its faults, and only those, fail).
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { seededPassword } from '../../seeds/personas.ts';
import { startFaultyProvider } from '../fixtures/faultyProvider.ts';
import { freePort } from '../helpers/ports.ts';
import { startSystem } from '../helpers/system.ts';
import { runCli } from './cliHarness.ts';

interface Report {
  issuer: string;
  passed: number;
  failed: number;
  skipped: number;
  checks: Array<{ name: string; status: 'pass' | 'fail' | 'skip'; detail: string }>;
}

const system = await startSystem();
const faulty = await startFaultyProvider();
// An empty working directory and no DATA_DIR or DATABASE_URL: the command must need neither.
const emptyDirectory = await mkdtemp(path.join(tmpdir(), 'cqrs-conformance-'));
test.after.always(async () => {
  await faulty.close();
  await system.close();
  await rm(emptyDirectory, { recursive: true, force: true });
});

// Serial: each test starts CLI processes, and a burst of them on a busy machine would only queue.
const environment = { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent' };
const brokerTarget = [
  '--issuer',
  system.brokerUrl,
  '--client-id',
  'cqrs-app',
  '--client-secret',
  system.brokerConfig.cqrsAppSecret,
  '--redirect-uri',
  `${system.appUrl}/auth/callback`,
];
const userChecks = [
  'code.sign-in',
  'code.exchange',
  'id-token.validation',
  'code.reuse',
  'pkce.wrong-verifier',
  'userinfo.get',
  'userinfo.post',
  'refresh.rotation',
  'max-age',
  'logout.rp-initiated',
  'logout.backchannel',
];

const conformance = (...args: string[]) => runCli(['conformance', ...args], environment, emptyDirectory);
const namesWith = (report: Report, status: string) =>
  report.checks.filter((check) => check.status === status).map((check) => check.name);

/** A client registered the way an operator would, with its back-channel logout URI on this machine. */
async function registerConformanceClient(backchannelPort: number) {
  const redirectUri = 'http://127.0.0.1:1/conformance/callback';
  const added = await runCli(
    [
      'clients',
      'add',
      'conformance',
      '--redirect-uri',
      redirectUri,
      '--backchannel-logout-uri',
      `http://127.0.0.1:${backchannelPort}/backchannel-logout`,
      '--json',
    ],
    { ...environment, DATA_DIR: path.dirname(system.brokerConfig.database.sqliteFile) },
  );
  if (added.code !== 0) throw new Error(`clients add failed: ${added.stderr}`);
  const { client_secret: secret } = JSON.parse(added.stdout) as { client_secret: string };
  return ['--client-id', 'conformance', '--client-secret', secret, '--redirect-uri', redirectUri];
}

test.serial('every check passes against the local broker, signing in at the mock NHSmail', async (t) => {
  const backchannelPort = await freePort();
  const client = await registerConformanceClient(backchannelPort);
  const result = await conformance(
    '--issuer',
    system.brokerUrl,
    ...client,
    '--user',
    'jane.smith@nhs.net',
    '--password',
    seededPassword,
    '--backchannel-port',
    String(backchannelPort),
  );
  t.is(result.code, 0, result.stdout + result.stderr);
  const lines = result.stdout.trim().split('\n');
  const checkLines = lines.filter((line) => /^(PASS|FAIL|SKIP) {2}/.test(line));
  t.true(checkLines.length >= 30, 'one line per check');
  t.true(
    checkLines.every((line) => line.startsWith('PASS')),
    checkLines.join('\n'),
  );
  for (const name of [
    ...userChecks,
    'discovery.document',
    'jwks.keys',
    'pkce.missing-challenge',
    'headers.pages',
  ])
    t.true(
      checkLines.some((line) => line.split(/\s+/)[1] === name),
      name,
    );
  t.is(lines.at(-1), `${checkLines.length} checks: ${checkLines.length} passed, 0 failed, 0 skipped`);
  t.deepEqual(await readdir(emptyDirectory), [], 'no database or file was made');
  t.false(result.stdout.includes(seededPassword));
});

test.serial('without a user, --json reports the user checks skipped, with the reason', async (t) => {
  // The secret from the environment, as the administration guide suggests, rather than the command line.
  const withoutSecret = brokerTarget.filter((_value, index) => ![4, 5].includes(index));
  const result = await runCli(
    ['conformance', ...withoutSecret, '--json'],
    { ...environment, CONFORMANCE_CLIENT_SECRET: system.brokerConfig.cqrsAppSecret },
    emptyDirectory,
  );
  t.is(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout) as Report;
  t.is(report.issuer, system.brokerUrl);
  t.deepEqual(namesWith(report, 'skip'), userChecks);
  t.deepEqual(namesWith(report, 'fail'), []);
  t.is(report.passed + report.skipped, report.checks.length);
  t.true(
    report.checks.filter((check) => check.status === 'skip').every((check) => /--user/.test(check.detail)),
  );
});

test.serial('against a faulty provider, exactly the checks for its faults fail (exit 1)', async (t) => {
  const result = await conformance(
    '--issuer',
    faulty.issuer,
    '--client-id',
    faulty.clientId,
    '--client-secret',
    faulty.clientSecret,
    '--redirect-uri',
    faulty.redirectUri,
    '--user',
    'anyone@example.org',
    '--password',
    'any password',
    '--json',
  );
  t.is(result.code, 1, result.stderr);
  const report = JSON.parse(result.stdout) as Report;
  t.deepEqual(namesWith(report, 'fail').sort(), [
    'discovery.logout',
    'discovery.response-types',
    'headers.pages',
    'pkce.missing-challenge',
    'redirect-uri.appended-path',
    'redirect-uri.appended-query',
    'refresh.rotation',
  ]);
  t.deepEqual(namesWith(report, 'skip'), ['logout.backchannel']);
  const detail = (name: string) => report.checks.find((check) => check.name === name)?.detail ?? '';
  t.regex(detail('pkce.missing-challenge'), /^accepted/);
  t.regex(detail('refresh.rotation'), /not rotated/);
  t.is(report.failed, 7);
});

test.serial('an issuer that does not answer fails discovery, skips the rest and exits 1', async (t) => {
  const result = await conformance(
    '--issuer',
    'http://127.0.0.1:1',
    '--client-id',
    'x',
    '--client-secret',
    'y',
    '--redirect-uri',
    'http://127.0.0.1:1/cb',
  );
  t.is(result.code, 1);
  t.regex(result.stdout, /^FAIL {2}discovery\.document/m);
  t.regex(result.stdout, /^SKIP {2}pkce\.missing-challenge +no discovery document$/m);
  t.regex(result.stdout, /1 failed, \d+ skipped\n$/);
});

test.serial('options are checked before anything is requested', async (t) => {
  const half = await conformance(...brokerTarget, '--user', 'jane.smith@nhs.net');
  t.is(half.code, 1);
  t.is(half.stderr, 'error: give --user and --password together, or neither\n');
  const notUrl = await conformance(...brokerTarget.slice(2), '--issuer', 'broker.example.org');
  t.is(notUrl.code, 1);
  t.regex(notUrl.stderr, /--issuer "broker\.example\.org" is not an absolute http\(s\) URL/);
  const missing = await conformance('--issuer', system.brokerUrl);
  t.not(missing.code, 0);
  t.regex(missing.stderr, /required option/);
});

test.serial('a refused upstream sign-in fails code.sign-in and skips what needs it', async (t) => {
  const result = await conformance(
    ...brokerTarget,
    '--user',
    'tom.jones@nhs.net',
    '--password',
    'not-his-password',
    '--json',
  );
  t.is(result.code, 1);
  const report = JSON.parse(result.stdout) as Report;
  t.deepEqual(namesWith(report, 'fail'), ['code.sign-in']);
  t.regex(
    report.checks.find((check) => check.name === 'code.sign-in')?.detail ?? '',
    /^the sign-in stopped at http/,
  );
  t.deepEqual(namesWith(report, 'skip'), userChecks.slice(1));
  t.false(result.stdout.includes('not-his-password'));
});
