// `cqrs-broker keys …` and `cqrs-broker audit`: rotation keeps the previous key in the broker's JWKS
// until it expires; the audit trail filters by email, outcome and count.
import test from 'ava';
import { cliEnvironment, startIssuer } from './cliHarness.ts';

test('keys rotate makes a new signing key and keeps the previous one published', async (t) => {
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
  t.regex(
    lines[1] ?? '',
    new RegExp(
      `^The previous key ${firstKey?.kid} stays published until \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ\\.$`,
    ),
  );
  t.regex(lines[2] ?? '', /restart every instance/);

  // The running issuer keeps what it loaded; a restarted one signs with the new key and publishes both.
  t.deepEqual(
    (await before.jwks()).map((key) => key.kid),
    [firstKey?.kid],
  );
  const after = await startIssuer(t, cli);
  t.deepEqual(
    (await after.jwks()).map((key) => key.kid),
    [newKid, firstKey?.kid],
  );

  const list = await cli.run('keys', 'list', '--json');
  const keys = JSON.parse(list.stdout);
  t.like(keys[0], { kid: newKid, alg: 'RS256', state: 'signing', retiredAt: null, expiresAt: null });
  t.like(keys[1], { kid: firstKey?.kid, state: 'published' });
  const keptFor = Date.parse(keys[1].expiresAt) - Date.parse(keys[1].retiredAt);
  t.is(keptFor, 2 * 3_600_000);
  const table = await cli.run('keys', 'list');
  t.regex(table.stdout, /^KID +ALG +CREATED +STATE$/m);
  t.regex(table.stdout, new RegExp(`^${newKid} +RS256 +\\S+ \\S+ +signing$`, 'm'));
  t.regex(
    table.stdout,
    new RegExp(`^${firstKey?.kid} +RS256 +\\S+ \\S+ +retired \\S+ \\S+; published until `, 'm'),
  );

  // Kept for no time at all, the previous key leaves the JWKS at once (with a warning).
  const abrupt = await cli.run('keys', 'rotate', '--keep-previous-hours', '0');
  t.is(abrupt.code, 0);
  t.regex(abrupt.stderr, /^Warning: id_tokens live an hour/);
  const states = JSON.parse((await cli.run('keys', 'list', '--json')).stdout).map(
    (key: { state: string }) => key.state,
  );
  t.deepEqual(states, ['signing', 'expired', 'published']);
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
