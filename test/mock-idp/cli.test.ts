// The tester CLI (`mock-idp`, mock-idp/control/cli.ts) run as a child process against a running mock,
// as a tester's shell would run it.
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import test from 'ava';
import { signInAs } from '../helpers/flows.ts';
import type { Page } from '../helpers/httpSession.ts';
import { control } from '../helpers/mockControl.ts';
import { startSystem, type TestSystem } from '../helpers/system.ts';

const cliPath = path.join(import.meta.dirname, '../../mock-idp/control/cli.ts');

let system: TestSystem;
test.before(async () => {
  system = await startSystem();
});
test.after.always(async () => {
  await system?.close();
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(
  args: string[],
  options: { env?: Record<string, string>; connect?: boolean } = {},
): Promise<Run> {
  const connection =
    options.connect === false ? [] : ['--url', system.mockUrl, '--token', system.controlToken];
  const env = { ...process.env, MOCK_IDP_URL: '', MOCK_CONTROL_TOKEN: '', ...options.env };
  // Empty values would count as set; leave the variables out unless a test sets them.
  for (const name of ['MOCK_IDP_URL', 'MOCK_CONTROL_TOKEN'] as const) if (!env[name]) delete env[name];
  return new Promise((resolve) => {
    execFile(process.execPath, [cliPath, ...connection, ...args], { env }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

const heading = (page: Page) => page.$('[data-testid=page-heading]').text().trim();

function assertOneLineRefusal(t: import('ava').ExecutionContext, result: Run, message: RegExp) {
  t.not(result.code, 0);
  t.is(result.stdout, '');
  t.regex(result.stderr.trimEnd(), message);
  t.is(result.stderr.trimEnd().split('\n').length, 1, `one line: ${result.stderr}`);
  t.notRegex(result.stderr, /\n\s+at /, 'no stack trace');
}

test('next-sign-in arms a scenario that the next sign-in meets', async (t) => {
  const result = await run(['next-sign-in', 'disabled', '--account', 'Tom.Jones@nhs.net']);
  t.is(result.code, 0, result.stderr);
  t.is(result.stdout, 'Armed disabled for the next sign-in of tom.jones@nhs.net\n');
  const scenarios = await run(['scenarios']);
  t.regex(scenarios.stdout, /Armed for the next sign-in\n\n.*\n.*\n\d+\s+tom\.jones@nhs\.net\s+disabled/);
  t.regex(scenarios.stdout, /not_assigned\s+AADSTS50105\s+authorization/);
  const { page } = await signInAs(system, 'tom.jones@nhs.net');
  t.is(heading(page), 'Your NHSmail account has been disabled');
});

test('accounts list prints a table, and JSON with --json', async (t) => {
  const table = await run(['accounts', 'list']);
  t.is(table.code, 0, table.stderr);
  const lines = table.stdout.trimEnd().split('\n');
  t.regex(lines[0] ?? '', /^USER ID\s+NAME\s+STATE\s+LOCKED\s+FAILED\s+MFA CODE$/);
  t.true(lines.some((line) => /^locked\.user@nhs\.net\s+Lee Khan\s+locked\s+yes\s+0\s+-$/.test(line)));
  t.true(lines.some((line) => /^mfa\.user@nhs\.net\s+Max Fisher\s+active\s+no\s+0\s+\d{6}$/.test(line)));

  const json = await run(['--json', 'accounts']);
  t.is(json.code, 0, json.stderr);
  const { accounts } = JSON.parse(json.stdout) as { accounts: Array<{ email: string }> };
  t.true(accounts.some((account) => account.email === 'jane.smith@nhs.net'));
});

test('create, show, update, lock, unlock and delete an account', async (t) => {
  const created = await run([
    '--json',
    'accounts',
    'create',
    'cli.user@nhs.net',
    '--given-name',
    'Cleo',
    '--family-name',
    'Ito',
    '--mfa',
  ]);
  t.is(created.code, 0, created.stderr);
  t.like(JSON.parse(created.stdout), { email: 'cli.user@nhs.net', givenName: 'Cleo', mfaRequired: true });
  const shown = await run(['accounts', 'show', 'CLI.User@nhs.net']);
  t.regex(shown.stdout, /^User ID\s+cli\.user@nhs\.net$/m);
  t.regex(shown.stdout, /^MFA required\s+yes$/m);
  const updated = await run([
    'accounts',
    'update',
    'cli.user@nhs.net',
    '--no-mfa',
    '--state',
    'password_expired',
  ]);
  t.is(updated.code, 0, updated.stderr);
  t.like((await control(system, 'GET', '/accounts/cli.user@nhs.net')).body, {
    mfaRequired: false,
    state: 'password_expired',
  });
  t.is((await run(['lock', 'cli.user@nhs.net'])).stdout, 'Locked cli.user@nhs.net\n');
  t.is((await control(system, 'GET', '/accounts/cli.user@nhs.net')).body.state, 'locked');
  t.is((await run(['unlock', 'cli.user@nhs.net'])).stdout, 'Unlocked cli.user@nhs.net\n');
  t.is((await run(['accounts', 'delete', 'cli.user@nhs.net'])).stdout, 'Deleted cli.user@nhs.net\n');
  t.is((await control(system, 'GET', '/accounts/cli.user@nhs.net')).status, 404);
});

test('attempts and disarm', async (t) => {
  await signInAs(system, 'jane.smith@nhs.net', 'Wrong-Passw0rd');
  const attempts = await run(['--json', 'attempts', '--email', 'jane.smith@nhs.net', '--limit', '1']);
  t.is(attempts.code, 0, attempts.stderr);
  t.like(JSON.parse(attempts.stdout).attempts, [{ email: 'jane.smith@nhs.net', errorCode: 'AADSTS50126' }]);
  const table = await run(['attempts', '--email', 'jane.smith@nhs.net']);
  t.regex(table.stdout, /jane\.smith@nhs\.net\s+invalid_credentials\s+AADSTS50126\s+cqrs-broker/);

  await run(['next-sign-in', 'slow', '--account', 'no.cqrs@nhs.net']);
  const disarmed = await run(['disarm', '--account', 'no.cqrs@nhs.net']);
  t.is(disarmed.stdout, 'Disarmed 1 scenario(s)\n');
});

test('bad arguments and refusals exit non-zero with one line on stderr', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['next-sign-in', 'meteor_strike'], /^error: scenario: must be one of: /],
    [['accounts', 'show', 'ghost@nhs.net'], /^error: no account ghost@nhs\.net$/],
    [
      ['accounts', 'create', 'jane.smith@nhs.net', '--given-name', 'J', '--family-name', 'S'],
      /^error: account jane\.smith@nhs\.net already exists$/,
    ],
    [
      ['accounts', 'create', 'weak@nhs.net', '--given-name', 'W', '--family-name', 'K', '--password', 'weak'],
      /^error: password: must have at least 8 characters/,
    ],
    [['accounts', 'show'], /^error: missing required argument 'email'$/],
    [['attempts', '--limit', 'lots'], /argument 'lots' is invalid/],
    [['explode'], /^error: unknown command 'explode'$/],
    [['accounts', 'update', 'jane.smith@nhs.net'], /^error: nothing to change/],
  ];
  const results = await Promise.all(cases.map(([args]) => run(args)));
  cases.forEach(([, message], index) => {
    assertOneLineRefusal(t, results[index] as Run, message);
  });
  const wrongToken = await run(['--url', system.mockUrl, '--token', 'not-the-token', 'accounts'], {
    connect: false,
  });
  assertOneLineRefusal(t, wrongToken, /^error: missing or wrong bearer token$/);
});

test('an unreachable mock is one clear line, not a stack trace', async (t) => {
  // A loopback port that was free a moment ago: nothing answers there.
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  const result = await run(['--url', `http://127.0.0.1:${port}`, 'accounts'], { connect: false });
  assertOneLineRefusal(
    t,
    result,
    new RegExp(`^error: cannot reach the mock at http://127\\.0\\.0\\.1:${port} `),
  );
});

test('MOCK_IDP_URL and MOCK_CONTROL_TOKEN stand in for --url and --token', async (t) => {
  const result = await run(['--json', 'scenarios'], {
    connect: false,
    env: { MOCK_IDP_URL: system.mockUrl, MOCK_CONTROL_TOKEN: system.controlToken },
  });
  t.is(result.code, 0, result.stderr);
  t.is(JSON.parse(result.stdout).scenarios.length, 18);
});

test('--help lists every command', async (t) => {
  const result = await run(['--help'], { connect: false });
  t.is(result.code, 0);
  for (const command of [
    'accounts',
    'lock',
    'unlock',
    'scenarios',
    'next-sign-in',
    'disarm',
    'attempts',
    'reset',
  ])
    t.regex(result.stdout, new RegExp(`^  ${command}\\b`, 'm'));
});

// Serial tests run before the concurrent ones, so the reset cannot undo another test's setup.
test.serial('reset restores the seed state', async (t) => {
  await control(system, 'POST', '/accounts/jane.smith@nhs.net/lock');
  const result = await run(['reset']);
  t.is(result.code, 0, result.stderr);
  t.is(result.stdout, 'Reset to the seed state (8 accounts)\n');
  t.false((await control(system, 'GET', '/accounts/jane.smith@nhs.net')).body.locked);
});
