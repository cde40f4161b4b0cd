// The cqrs-broker CLI as a whole: help everywhere, migrate and seed, and failures that end with one line
// on stderr and a non-zero exit code, never a stack trace.
import { mkdir } from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { freePort } from '../helpers/ports.ts';
import { type CliEnvironment, type CliResult, cliEnvironment, hasStackTrace } from './cliHarness.ts';

test('--help lists every command, and every command has its own help', async (t) => {
  const cli = await cliEnvironment();
  t.teardown(cli.dispose);
  const top = await cli.run('--help');
  t.is(top.code, 0);
  for (const command of ['migrate', 'seed', 'accounts', 'clients', 'keys', 'audit', 'conformance'])
    t.regex(top.stdout, new RegExp(`\\n  ${command}\\b`));
  const commands = [
    ['accounts', 'add'],
    ['accounts', 'list'],
    ['accounts', 'show'],
    ['accounts', 'suspend'],
    ['accounts', 'activate'],
    ['accounts', 'link'],
    ['accounts', 'unlink'],
    ['accounts', 'import'],
    ['accounts', 'export'],
    ['clients', 'add'],
    ['clients', 'list'],
    ['clients', 'remove'],
    ['clients', 'rotate-secret'],
    ['keys', 'list'],
    ['keys', 'rotate'],
    ['audit'],
    ['migrate'],
    ['seed'],
  ];
  const helps = await Promise.all(commands.map((command) => cli.run(...command, '--help')));
  for (const [index, help] of helps.entries()) {
    const command = commands[index]?.join(' ');
    t.is(help.code, 0, command);
    t.regex(help.stdout, new RegExp(`^Usage: cqrs-broker ${command}`), command);
  }
  const add = await cli.run('clients', 'add', '--help');
  for (const option of [
    '--redirect-uri',
    '--post-logout-redirect-uri',
    '--backchannel-logout-uri',
    '--public',
    '--resource-server',
    '--name',
  ])
    t.true(add.stdout.includes(option), option);
});

test('migrate creates the schema once; later runs report it up to date', async (t) => {
  const cli = await cliEnvironment();
  t.teardown(cli.dispose);
  const first = await cli.run('migrate');
  t.is(first.code, 0, first.stderr);
  t.regex(
    first.stdout,
    /^Applied 13 migration\(s\): 0001_oidc_storage, 0002_cqrs_accounts, 0003_sign_in_and_audit, 0010_key_activation, 0011_pending_sign_ins, 0012_oidc_payload_owners, 0020_logout_outbox_and_upstream_sessions, 0021_oauth_clients_version, 0022_oidc_payload_partial_indexes, 0023_oidc_interactions, 0024_audit_and_upstream_session_indexes, 0025_pending_sign_ins_on_interactions, 0026_upstream_sessions_on_sessions\.$/m,
  );
  const second = await cli.run('migrate');
  t.is(second.code, 0);
  t.is(second.stdout, 'The database is up to date.\n');
  await cli.withDatabase(async (db) => {
    for (const table of [
      'accounts',
      'oauth_clients',
      'oauth_clients_version',
      'signing_keys',
      'audit_events',
      'oidc_payloads',
    ])
      t.true(await db.schema.hasTable(table), table);
  });
});

test('seed loads the CQRS personas and the cqrs-app client, and can run again', async (t) => {
  const cli = await cliEnvironment();
  t.teardown(cli.dispose);
  for (let round = 0; round < 2; round += 1) {
    const seeded = await cli.run('seed');
    t.is(seeded.code, 0, seeded.stderr);
    t.regex(seeded.stdout, /Seeded 7 CQRS accounts and the cqrs-app client/);
  }
  await cli.withDatabase(async (db) => {
    const accounts = await db('accounts').orderBy('email').select('email', 'status');
    t.is(accounts.length, 7);
    t.deepEqual(accounts.find((account) => account.email === 'suspended.user@nhs.net')?.status, 'suspended');
    t.falsy(accounts.find((account) => account.email === 'no.cqrs@nhs.net'));
    const client = await db('oauth_clients').where({ client_id: 'cqrs-app' }).first();
    t.deepEqual(JSON.parse(client.metadata).redirect_uris, ['http://localhost:3002/auth/callback']);
  });
});

test('seed is refused in production and adds nobody', async (t) => {
  const cli = await cliEnvironment({
    NODE_ENV: 'production',
    BROKER_ISSUER: 'https://broker.example.org',
    UPSTREAM_ISSUER: 'https://login.example.org/tenant/v2.0',
    UPSTREAM_CLIENT_SECRET: 'a-production-upstream-secret',
    CQRS_APP_CLIENT_SECRET: 'a-production-cqrs-app-secret',
  });
  t.teardown(cli.dispose);
  const result = await cli.run('seed');
  t.is(result.code, 1);
  t.is(result.stderr, 'error: seed is refused when NODE_ENV=production: it adds test personas\n');
  await cli.withDatabase(async (db) => t.is(Number((await db('accounts').count({ n: '*' }).first())?.n), 0));
});

test('unknown commands, missing arguments and bad option values fail with one line', async (t) => {
  const cli = await cliEnvironment();
  t.teardown(cli.dispose);
  const cases: Array<[string[], RegExp]> = [
    [['frobnicate'], /^error: unknown command 'frobnicate'/],
    [['accounts', 'show'], /^error: missing required argument 'email'/],
    [['accounts', 'add', 'x@nhs.net'], /^error: required option '--given-name <name>' not specified/],
    [
      ['accounts', 'list', '--status', 'locked'],
      /^error: option '--status <status>' argument 'locked' is invalid/,
    ],
    [
      ['audit', '--limit', 'lots'],
      /^error: option '--limit <n>' argument 'lots' is invalid\. must be a whole number/,
    ],
    [
      ['keys', 'rotate', '--keep-previous-hours', '-1'],
      /^error: option '--keep-previous-hours <hours>' argument '-1' is invalid/,
    ],
  ];
  const results = await Promise.all(cases.map(([args]) => cli.run(...args)));
  for (const [index, [args, message]] of cases.entries()) {
    const result = results[index];
    t.is(result?.code, 1, args.join(' '));
    t.regex(result?.stderr ?? '', message, args.join(' '));
    t.is(result?.stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${result?.stderr}`);
    t.is(result?.stdout, '');
  }
});

test('a bad environment is named in one line, without a stack trace', async (t) => {
  await listingFailsInOneLine(t, 'Invalid configuration: DATABASE_URL: must be a postgres:// URL', {
    DATABASE_URL: 'mysql://somewhere/db',
  });
});

test('an unreachable database is reported in one line, without a stack trace', async (t) => {
  // A loopback port nobody listens on: the connection is refused at once.
  const port = await freePort();
  const result = await listingFailsInOneLine(
    t,
    `cannot reach the database (connect ECONNREFUSED 127.0.0.1:${port}); check DATABASE_URL and that the database is up`,
    { DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/test` },
  );
  t.is(result.stdout, '');
});

/**
 * A PostgreSQL server that is still starting up: it answers every connection with the error
 * PostgreSQL sends then (SQLSTATE 57P03) and closes it.
 */
async function startingPostgres(): Promise<{ port: number; close(): Promise<void> }> {
  const field = (type: string, value: string) =>
    Buffer.concat([Buffer.from(type), Buffer.from(`${value}\0`)]);
  const fields = Buffer.concat([
    field('S', 'FATAL'),
    field('V', 'FATAL'),
    field('C', '57P03'),
    field('M', 'the database system is starting up'),
    Buffer.from([0]),
  ]);
  const length = Buffer.alloc(4);
  length.writeInt32BE(fields.length + 4);
  const errorResponse = Buffer.concat([Buffer.from('E'), length, fields]);
  const server = net.createServer((socket) => {
    socket.once('data', () => socket.end(errorResponse));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

test('a PostgreSQL that is starting up is reported as unreachable, in one line', async (t) => {
  const postgres = await startingPostgres();
  t.teardown(postgres.close);
  await listingFailsInOneLine(
    t,
    'cannot reach the database (the database system is starting up); check DATABASE_URL and that the database is up',
    { DATABASE_URL: `postgres://postgres@127.0.0.1:${postgres.port}/test` },
  );
});

test('a SQLite database file that cannot be opened is reported in one line, naming DATA_DIR', async (t) => {
  await listingFailsInOneLine(
    t,
    'cannot use the database (SQLITE_CANTOPEN: unable to open database file); check DATA_DIR and that the database file can be opened',
    {},
    // A folder where the database file should be.
    (cli) => mkdir(path.join(cli.dataDir, 'broker.sqlite')),
  );
});

/**
 * `accounts list` in a CLI environment with `env` (after `prepare`, if given) fails as failsInOneLine
 * says, with `line`; its result is returned for further checks.
 */
async function listingFailsInOneLine(
  t: ExecutionContext,
  line: string,
  env: Record<string, string> = {},
  prepare?: (cli: CliEnvironment) => Promise<unknown>,
): Promise<CliResult> {
  const cli = await cliEnvironment(env);
  t.teardown(cli.dispose);
  await prepare?.(cli);
  const result = await cli.run('accounts', 'list');
  failsInOneLine(t, result, line);
  return result;
}

/** The command failed with exit code 1 and said why in one `error:` line on stderr, no stack trace. */
function failsInOneLine(t: ExecutionContext, result: CliResult, line: string): void {
  t.is(result.code, 1);
  t.is(result.stderr, `error: ${line}\n`);
  t.false(hasStackTrace(result.stderr));
}
