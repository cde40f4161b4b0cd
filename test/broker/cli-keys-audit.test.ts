// `cqrs-broker keys …` and `cqrs-broker audit`: a rotated key is published at once and signs after
// the activation delay, the previous one stays published until it expires; the audit trail filters
// by email, outcome and count.
import test from 'ava';
import { cliEnvironment, startIssuer } from './cliHarness.ts';

test('keys rotate publishes a new signing key that signs only after the activation delay', async (t) => {
  const cli = await cliEnvironment();
  t.teardown(cli.dispose);
  const empty = await cli.run('keys', 'list');
  t.is(empty.stdout, 'No signing keys yet: the broker makes one when it first starts.\n');

  // A broker start makes the first key, as in a deployment.
  const before = await startIssuer(t, cli);
  const [firstKey] = await before.jwks();
  t.truthy(firstKey?.kid);

  const rotated = await cli.run('keys', 'rotate', '--keep-previous-hours', '2');
  t.is(rotated.code, 0, rotated.stderr);
  const lines = rotated.stdout.trim().split('\n');
  const newKid = /^New signing key (\S+) \(RS256\)\.$/.exec(lines[0] ?? '')?.[1];
  t.truthy(newKid);
  t.not(newKid, firstKey?.kid);
  const time = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ';
  t.regex(
    lines[1] ?? '',
    new RegExp(`^Every running instance publishes it within 60 seconds and signs with it from ${time}\\.$`),
  );
  t.regex(lines[2] ?? '', new RegExp(`^The previous key ${firstKey?.kid} stays published until ${time}\\.$`));

  // An issuer reading the keys now publishes both and still signs with the first (listed first).
  const after = await startIssuer(t, cli);
  t.deepEqual(
    (await after.jwks()).map((key) => key.kid),
    [firstKey?.kid, newKid],
  );

  const list = await cli.run('keys', 'list', '--json');
  const keys = JSON.parse(list.stdout);
  t.like(keys[0], { kid: newKid, alg: 'RS256', state: 'pending', retiredAt: null, expiresAt: null });
  t.like(keys[1], { kid: firstKey?.kid, state: 'signing', retiredAt: keys[0].activatesAt });
  // The default activation delay outlasts clients' JWKS caches: a day.
  t.is(Date.parse(keys[0].activatesAt) - Date.parse(keys[0].createdAt), 24 * 3_600_000);
  t.is(Date.parse(keys[1].expiresAt) - Date.parse(keys[1].retiredAt), 2 * 3_600_000);
  const table = await cli.run('keys', 'list');
  t.regex(table.stdout, /^KID +ALG +CREATED +STATE$/m);
  t.regex(table.stdout, new RegExp(`^${newKid} +RS256 +\\S+ \\S+ +published; signs from `, 'm'));
  t.regex(table.stdout, new RegExp(`^${firstKey?.kid} +RS256 +\\S+ \\S+ +signing$`, 'm'));

  // Kept for less than an id_token's lifetime, the previous keys get a warning.
  const abrupt = await cli.run('keys', 'rotate', '--keep-previous-hours', '0');
  t.is(abrupt.code, 0);
  t.regex(abrupt.stderr, /^Warning: id_tokens live an hour/);
  const states = JSON.parse((await cli.run('keys', 'list', '--json')).stdout).map(
    (key: { state: string }) => key.state,
  );
  t.deepEqual(states, ['pending', 'pending', 'signing']);
});

test('keys rotate-cookie-key adds a cookie key that signs after the activation delay', async (t) => {
  const cli = await cliEnvironment({ BROKER_KEY_ACTIVATION_SECONDS: '3600' });
  t.teardown(cli.dispose);
  await cli.run('keys', 'list');
  await startIssuer(t, cli);
  const rotated = await cli.run('keys', 'rotate-cookie-key');
  t.is(rotated.code, 0, rotated.stderr);
  t.regex(
    rotated.stdout,
    /^New cookie key \(generation 2\), signing from \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\.$/m,
  );
  const rows = await cli.withDatabase((db) => db('cookie_keys').orderBy('generation'));
  t.is(rows.length, 2);
  t.is(Number(rows[1].activates_at) - Number(rows[1].created_at), 3_600_000);
  t.is(Number(rows[0].expires_at), Number(rows[1].activates_at) + 8 * 3_600_000);
});

test('keys rotate-cookie-key keeps the previous key for the sign-in lifetime, and warns when told less', async (t) => {
  const cli = await cliEnvironment({ BROKER_SIGN_IN_LIFETIME_SECONDS: String(2 * 3600) });
  t.teardown(cli.dispose);
  await cli.run('keys', 'list');
  await startIssuer(t, cli);
  const rotated = await cli.run('keys', 'rotate-cookie-key');
  t.is(rotated.code, 0, rotated.stderr);
  t.false(rotated.stderr.includes('Warning'), rotated.stderr);
  const [previous, next] = await cli.withDatabase((db) => db('cookie_keys').orderBy('generation'));
  t.is(Number(previous.expires_at), Number(next.activates_at) + 2 * 3_600_000);

  const short = await cli.run('keys', 'rotate-cookie-key', '--keep-previous-hours', '1');
  t.is(short.code, 0, short.stderr);
  t.regex(
    short.stdout + short.stderr,
    /Warning: a sign-in lasts 2 hours; ones whose cookies the previous key signed may end early\./,
  );
});

test('audit lists events newest first and filters by email, outcome and limit', async (t) => {
  const cli = await cliEnvironment();
  t.teardown(cli.dispose);
  await cli.run('seed');
  t.is((await cli.run('audit')).stdout, 'No audit events match.\n');
  for (const args of [
    ['accounts', 'suspend', 'jane.smith@nhs.net'],
    ['accounts', 'activate', 'suspended.user@nhs.net'],
    ['accounts', 'activate', 'jane.smith@nhs.net'],
    ['clients', 'rotate-secret', 'cqrs-app'],
  ]) {
    const result = await cli.run(...args);
    t.is(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
  }

  const all = JSON.parse((await cli.run('audit', '--json')).stdout);
  t.deepEqual(
    all.map((event: { event: string; outcome: string }) => `${event.event}:${event.outcome}`),
    ['client:secret_rotated', 'account:activated', 'account:activated', 'account:suspended'],
  );
  t.like(all[3], { accountEmail: 'jane.smith@nhs.net', clientId: null });
  t.regex(all[3].correlationId, /^[0-9a-f-]{36}$/);
  t.false('emailHash' in all[3]);

  const jane = JSON.parse((await cli.run('audit', '--email', 'Jane.Smith@NHS.net', '--json')).stdout);
  t.deepEqual(
    jane.map((event: { outcome: string }) => event.outcome),
    ['activated', 'suspended'],
  );
  t.true(jane.every((event: { accountEmail: string }) => event.accountEmail === 'jane.smith@nhs.net'));

  const suspensions = await cli.run('audit', '--outcome', 'suspended');
  t.is(suspensions.code, 0);
  const [header, ...rows] = suspensions.stdout.trim().split('\n');
  t.regex(header ?? '', /^TIME +EVENT +OUTCOME +CLIENT +ACCOUNT +CORRELATION ID +DETAIL$/);
  t.is(rows.length, 1);
  t.regex(
    rows[0] ?? '',
    /^\S+ \S+Z +account +suspended +- +jane\.smith@nhs\.net +[0-9a-f-]{36} +0 sessions, grants and tokens ended; by .+$/,
  );

  const latest = JSON.parse((await cli.run('audit', '--limit', '1', '--json')).stdout);
  t.is(latest.length, 1);
  t.is(latest[0].clientId, 'cqrs-app');
  const byCorrelation = JSON.parse(
    (await cli.run('audit', '--correlation-id', all[3].correlationId, '--json')).stdout,
  );
  t.deepEqual(
    byCorrelation.map((event: { id: number }) => event.id),
    [all[3].id],
  );
  t.is((await cli.run('audit', '--email', 'nobody@nhs.net')).stdout, 'No audit events match.\n');
});
