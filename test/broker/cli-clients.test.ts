// `cqrs-broker clients …`: the printed secret authenticates at the broker's own token endpoints (a real
// oidc-provider on loopback over the same database), is never listed, and rotation replaces it.
import test from 'ava';
import { hashClientSecret } from '../../shared/oidc/clientStore.ts';
import { createKnexAdapter } from '../../shared/oidc/knexAdapter.ts';
import { cliEnvironment, startIssuer } from './cliHarness.ts';

function secretFrom(stdout: string): string {
  const match = /^Client secret: (\S+)$/m.exec(stdout);
  if (!match?.[1]) throw new Error(`no secret in ${stdout}`);
  return match[1];
}

test('add prints a secret once that authenticates; list never shows it; rotate-secret replaces it', async (t) => {
  const cli = await cliEnvironment();
  t.teardown(cli.dispose);
  const added = await cli.run(
    'clients',
    'add',
    'reports-app',
    '--name',
    'CQRS Reports',
    '--redirect-uri',
    'https://reports.example.org/auth/callback',
    '--redirect-uri',
    'http://localhost:4000/auth/callback',
    '--post-logout-redirect-uri',
    'https://reports.example.org/',
    '--backchannel-logout-uri',
    'https://reports.example.org/auth/backchannel-logout',
  );
  t.is(added.code, 0, added.stderr);
  t.regex(added.stdout, /^Added confidential client reports-app\.\nClient secret: [A-Za-z0-9_-]{43}\n$/);
  t.regex(added.stderr, /not shown again/);
  const secret = secretFrom(added.stdout);

  await cli.withDatabase(async (db) => {
    const row = await db('oauth_clients').where({ client_id: 'reports-app' }).first();
    t.is(row.secret_sha256, hashClientSecret(secret));
    t.false(JSON.stringify(row).includes(secret), 'only the digest is stored');
    t.like(JSON.parse(row.metadata), {
      client_name: 'CQRS Reports',
      redirect_uris: ['https://reports.example.org/auth/callback', 'http://localhost:4000/auth/callback'],
      post_logout_redirect_uris: ['https://reports.example.org/'],
      backchannel_logout_uri: 'https://reports.example.org/auth/backchannel-logout',
      token_endpoint_auth_method: 'client_secret_basic',
    });
  });

  const issuer = await startIssuer(t, cli);
  t.truthy(await issuer.provider.Client.find('reports-app'), 'oidc-provider accepts the metadata');
  t.is(await issuer.introspect('reports-app', secret), 200);
  t.is(await issuer.introspect('reports-app', 'a-wrong-secret'), 401);

  for (const args of [[], ['--json']]) {
    const list = await cli.run('clients', 'list', ...args);
    t.is(list.code, 0);
    t.true(list.stdout.includes('reports-app'));
    t.false(list.stdout.includes(secret), 'list never shows the secret');
    t.false(list.stdout.includes(hashClientSecret(secret)), 'nor its digest');
  }
  const table = await cli.run('clients', 'list');
  t.regex(
    table.stdout,
    /^reports-app +confidential +CQRS Reports +\S+ \S+ +https:\/\/reports\.example\.org\/auth\/callback http:\/\/localhost:4000\/auth\/callback$/m,
  );

  const rotated = await cli.run('clients', 'rotate-secret', 'reports-app', '--json');
  t.is(rotated.code, 0, rotated.stderr);
  const { client_id, client_secret } = JSON.parse(rotated.stdout);
  t.is(client_id, 'reports-app');
  t.not(client_secret, secret);
  t.is(await issuer.introspect('reports-app', client_secret), 200);
  t.is(await issuer.introspect('reports-app', secret), 401, 'the old secret stops working at once');
  await cli.withDatabase(async (db) => {
    t.deepEqual(await db('audit_events').orderBy('id').pluck('outcome'), ['added', 'secret_rotated']);
    t.false(JSON.stringify(await db('audit_events')).includes(client_secret), 'no secret in the audit trail');
  });
});

test('public clients and resource servers', async (t) => {
  const cli = await cliEnvironment();
  t.teardown(cli.dispose);
  const publicClient = await cli.run(
    'clients',
    'add',
    'desktop',
    '--public',
    '--redirect-uri',
    'http://127.0.0.1:8765/cb',
  );
  t.is(publicClient.code, 0, publicClient.stderr);
  t.is(publicClient.stdout, 'Added public client desktop.\n');
  const noSecret = await cli.run('clients', 'rotate-secret', 'desktop');
  t.is(noSecret.code, 1);
  t.is(noSecret.stderr, 'error: client desktop is public: it has no secret to rotate\n');

  const api = await cli.run('clients', 'add', 'cqrs-api', '--resource-server', '--json');
  t.is(api.code, 0, api.stderr);
  const { client_secret } = JSON.parse(api.stdout);

  const issuer = await startIssuer(t, cli);
  const desktop = await issuer.provider.Client.find('desktop');
  t.is(desktop?.tokenEndpointAuthMethod, 'none');
  const resourceServer = await issuer.provider.Client.find('cqrs-api');
  t.deepEqual(resourceServer?.redirectUris, []);
  t.is(await issuer.introspect('cqrs-api', client_secret), 200);

  const list = await cli.run('clients', 'list', '--json');
  t.deepEqual(
    JSON.parse(list.stdout).map((client: { clientId: string; type: string }) => [
      client.clientId,
      client.type,
    ]),
    [
      ['cqrs-api', 'resource server'],
      ['desktop', 'public'],
    ],
  );
});

test('add refuses bad ids, bad URIs and contradictory options, and registers nothing', async (t) => {
  const cli = await cliEnvironment();
  t.teardown(cli.dispose);
  const cases: Array<[string[], string]> = [
    [['app'], 'give at least one --redirect-uri'],
    [
      ['bad id', '--redirect-uri', 'https://a.example/cb'],
      'client id must be letters, digits, ".", "_" or "-" (at most 255)',
    ],
    [['app', '--redirect-uri', '/auth/callback'], '--redirect-uri "/auth/callback" is not an absolute URL'],
    [
      ['app', '--redirect-uri', 'ftp://a.example/cb'],
      '--redirect-uri "ftp://a.example/cb" must be an http(s) URL',
    ],
    [
      ['app', '--redirect-uri', 'http://app.example.org/cb'],
      '--redirect-uri "http://app.example.org/cb" must use https (http is allowed only for localhost and 127.0.0.1)',
    ],
    [
      ['app', '--redirect-uri', 'https://a.example/cb#x'],
      '--redirect-uri "https://a.example/cb#x" must not contain a fragment (#)',
    ],
    [
      ['app', '--redirect-uri', 'https://a.example/cb', '--post-logout-redirect-uri', 'http://a.example/'],
      '--post-logout-redirect-uri "http://a.example/" must use https (http is allowed only for localhost and 127.0.0.1)',
    ],
    [
      ['app', '--redirect-uri', 'https://a.example/cb', '--backchannel-logout-uri', 'https://a.example/bc#f'],
      '--backchannel-logout-uri "https://a.example/bc#f" must not contain a fragment (#)',
    ],
    [
      ['api', '--resource-server', '--redirect-uri', 'https://a.example/cb'],
      'a resource server has no redirect, post-logout or back-channel logout URIs',
    ],
    [
      ['api', '--resource-server', '--public'],
      'a resource server authenticates with a secret, so it cannot be --public',
    ],
  ];
  const results = await Promise.all(cases.map(([args]) => cli.run('clients', 'add', ...args)));
  for (const [index, [args, message]] of cases.entries()) {
    t.is(results[index]?.code, 1, args.join(' '));
    t.is(results[index]?.stderr, `error: ${message}\n`, args.join(' '));
    t.is(results[index]?.stdout, '', args.join(' '));
  }
  t.is((await cli.run('clients', 'list')).stdout, 'No clients.\n');
});

test('remove deletes the client and the tokens issued to it; unknown or duplicate ids fail', async (t) => {
  const cli = await cliEnvironment();
  t.teardown(cli.dispose);
  await cli.run('seed');
  const duplicate = await cli.run('clients', 'add', 'cqrs-app', '--redirect-uri', 'https://a.example/cb');
  t.is(duplicate.code, 1);
  t.is(duplicate.stderr, 'error: client cqrs-app already exists\n');
  await cli.run('clients', 'add', 'cqrs_app2', '--redirect-uri', 'https://a.example/cb');
  await cli.withDatabase(async (db) => {
    const Adapter = createKnexAdapter(db);
    await new Adapter('AccessToken').upsert('app-token', { clientId: 'cqrs-app', accountId: 'someone' }, 600);
    await new Adapter('AccessToken').upsert(
      'other-token',
      { clientId: 'cqrs_app2', accountId: 'someone' },
      600,
    );
  });
  const removed = await cli.run('clients', 'remove', 'cqrs-app');
  t.is(removed.code, 0, removed.stderr);
  t.is(removed.stdout, 'Removed client cqrs-app; ended 1 token(s) and grant(s) issued to it.\n');
  await cli.withDatabase(async (db) => {
    t.deepEqual(await db('oauth_clients').pluck('client_id'), ['cqrs_app2']);
    t.deepEqual(await db('oidc_payloads').pluck('id'), ['other-token']);
  });
  for (const command of ['remove', 'rotate-secret']) {
    const unknown = await cli.run('clients', command, 'cqrs-app');
    t.is(unknown.code, 1, command);
    t.is(unknown.stderr, 'error: no client cqrs-app\n', command);
  }
});
