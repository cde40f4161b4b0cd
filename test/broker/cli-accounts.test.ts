// `cqrs-broker accounts …` (except CSV): what an administrator sees, and what the broker's database
// holds afterwards. Suspending ends the account's sessions, grants and tokens.
import test from 'ava';
import { personaByEmail } from '../../seeds/personas.ts';
import { createKnexAdapter } from '../../shared/oidc/knexAdapter.ts';
import { cliEnvironment, hasStackTrace } from './cliHarness.ts';

const jane = personaByEmail('jane.smith@nhs.net')!;
const tom = personaByEmail('tom.jones@nhs.net')!;

async function seeded() {
  const cli = await cliEnvironment();
  const result = await cli.run('seed');
  if (result.code !== 0) throw new Error(`seed failed: ${result.stderr}`);
  return cli;
}

test('add creates an active account with its organisations; show and list display it', async (t) => {
  const cli = await cliEnvironment();
  t.teardown(cli.dispose);
  const added = await cli.run(
    'accounts',
    'add',
    'Ann.Other@NHS.net',
    '--given-name',
    'Ann',
    '--family-name',
    "O'Ther",
    '--organisation',
    'a81001:The Densham Surgery:gp_practice:practice_user',
    '--organisation',
    'QE1:NHS Lancashire and South Cumbria ICB:icb:commissioner,user_administrator',
  );
  t.is(added.code, 0, added.stderr);
  t.regex(
    added.stdout,
    /^Created CQRS account ann.other@nhs.net \(Ann O'Ther, 2 organisation\(s\)\); account id [0-9a-f-]{36}\.$/m,
  );

  const shown = await cli.run('accounts', 'show', 'ANN.OTHER@nhs.net', '--json');
  t.is(shown.code, 0, shown.stderr);
  const account = JSON.parse(shown.stdout);
  t.like(account, { email: 'ann.other@nhs.net', givenName: 'Ann', familyName: "O'Ther", status: 'active' });
  t.is(account.upstreamOid, null);
  t.deepEqual(account.organisations, [
    { odsCode: 'A81001', name: 'The Densham Surgery', type: 'gp_practice', roles: ['practice_user'] },
    {
      odsCode: 'QE1',
      name: 'NHS Lancashire and South Cumbria ICB',
      type: 'icb',
      roles: ['commissioner', 'user_administrator'],
    },
  ]);

  const table = await cli.run('accounts', 'show', 'ann.other@nhs.net');
  t.regex(table.stdout, /^Status: +active$/m);
  t.regex(table.stdout, /^NHSmail link: +not linked/m);
  t.regex(
    table.stdout,
    /^QE1 +NHS Lancashire and South Cumbria ICB +icb +commissioner, user_administrator$/m,
  );

  const list = await cli.run('accounts', 'list');
  t.is(list.code, 0);
  t.regex(list.stdout, /^EMAIL +NAME +STATUS +LINKED +ORGANISATIONS$/m);
  t.regex(list.stdout, /^ann.other@nhs.net +Ann O'Ther +active +no +A81001, QE1$/m);
});

test('add refuses a taken email, a bad email and a malformed organisation, and stores nothing', async (t) => {
  const cli = await seeded();
  t.teardown(cli.dispose);
  const names = ['--given-name', 'A', '--family-name', 'B'];
  const cases: Array<[string[], string]> = [
    [['Jane.Smith@nhs.net', ...names], 'error: an account for jane.smith@nhs.net already exists\n'],
    [['not-an-email', ...names], 'error: not a valid email address\n'],
    [
      ['new.one@nhs.net', ...names, '--organisation', 'A81001:gp_practice'],
      'error: --organisation "A81001:gp_practice" is not ODS:name:type:roles\n',
    ],
    [
      ['new.one@nhs.net', ...names, '--organisation', 'A81001:Densham:GP Practice:practice_user'],
      'error: must be lower-case letters, digits and underscores\n',
    ],
    [['new.one@nhs.net', '--given-name', ' ', '--family-name', 'B'], 'error: given name is empty\n'],
  ];
  const results = await Promise.all(cases.map(([args]) => cli.run('accounts', 'add', ...args)));
  for (const [index, [args, message]] of cases.entries()) {
    t.is(results[index]?.code, 1, args.join(' '));
    t.is(results[index]?.stderr, message, args.join(' '));
  }
  await cli.withDatabase(async (db) => {
    t.is(Number((await db('accounts').count({ n: '*' }).first())?.n), 7);
    t.is((await db('accounts').where({ email: 'jane.smith@nhs.net' }).first()).given_name, 'Jane');
  });
});

test('list filters by status and prints JSON; show of an unknown email fails in one line', async (t) => {
  const cli = await seeded();
  t.teardown(cli.dispose);
  const suspended = await cli.run('accounts', 'list', '--status', 'suspended', '--json');
  t.is(suspended.code, 0);
  t.deepEqual(
    JSON.parse(suspended.stdout).map((account: { email: string }) => account.email),
    ['suspended.user@nhs.net'],
  );
  const active = await cli.run('accounts', 'list', '--status', 'active');
  t.false(active.stdout.includes('suspended.user@nhs.net'));
  t.true(active.stdout.includes('tom.jones@nhs.net'));
  const unknown = await cli.run('accounts', 'show', 'no.cqrs@nhs.net');
  t.is(unknown.code, 1);
  t.is(unknown.stderr, 'error: no CQRS account for no.cqrs@nhs.net\n');
  t.is(unknown.stdout, '');
  for (const command of ['suspend', 'activate', 'unlink']) {
    const result = await cli.run('accounts', command, 'nobody@nhs.net');
    t.is(result.code, 1, command);
    t.is(result.stderr, 'error: no CQRS account for nobody@nhs.net\n', command);
    t.false(hasStackTrace(result.stderr));
  }
});

test('suspend ends the account’s sessions, grants and tokens, leaves others alone, and is audited', async (t) => {
  const cli = await seeded();
  t.teardown(cli.dispose);
  await cli.withDatabase(async (db) => {
    const Adapter = createKnexAdapter(db);
    const payload = (accountId: string) => ({
      accountId,
      clientId: 'cqrs-app',
      grantId: `grant-${accountId}`,
    });
    for (const [model, id] of [
      ['Session', 'jane-session'],
      ['Grant', 'jane-grant'],
      ['AccessToken', 'jane-access'],
      ['RefreshToken', 'jane-refresh'],
    ] as const)
      await new Adapter(model).upsert(id, payload(jane.cqrsAccountId), 3600);
    await new Adapter('AccessToken').upsert('tom-access', payload(tom.cqrsAccountId), 3600);
  });

  const result = await cli.run('accounts', 'suspend', 'Jane.Smith@nhs.net');
  t.is(result.code, 0, result.stderr);
  t.is(result.stdout, 'Suspended jane.smith@nhs.net; ended 4 session(s), grant(s) and token(s).\n');

  await cli.withDatabase(async (db) => {
    t.is((await db('accounts').where({ id: jane.cqrsAccountId }).first()).status, 'suspended');
    const left = await db('oidc_payloads').orderBy('id').pluck('id');
    t.deepEqual(left, ['tom-access']);
    const events = await db('audit_events').where({ account_id: jane.cqrsAccountId });
    t.is(events.length, 1);
    t.like(events[0], { event: 'account', outcome: 'suspended' });
    t.regex(events[0].detail, /4 sessions, grants and tokens ended; by .+ via cqrs-broker CLI/);
  });

  const shown = await cli.run('accounts', 'show', 'jane.smith@nhs.net');
  t.regex(shown.stdout, /^Status: +suspended$/m);
  const again = await cli.run('accounts', 'suspend', 'jane.smith@nhs.net');
  t.is(again.code, 0);
  t.is(
    again.stdout,
    'jane.smith@nhs.net was already suspended; ended 0 session(s), grant(s) and token(s).\n',
  );
});

test('activate lets a suspended account in again; activating an active one changes nothing', async (t) => {
  const cli = await seeded();
  t.teardown(cli.dispose);
  const activated = await cli.run('accounts', 'activate', 'suspended.user@nhs.net');
  t.is(activated.code, 0, activated.stderr);
  t.is(activated.stdout, 'Activated suspended.user@nhs.net.\n');
  const already = await cli.run('accounts', 'activate', 'jane.smith@nhs.net');
  t.is(already.stdout, 'jane.smith@nhs.net is already active.\n');
  await cli.withDatabase(async (db) => {
    t.is((await db('accounts').where({ email: 'suspended.user@nhs.net' }).first()).status, 'active');
    t.deepEqual(await db('audit_events').pluck('outcome'), ['activated']);
  });
});

test('link and unlink: unlink clears the NHSmail link so that the next sign-in links again', async (t) => {
  const cli = await seeded();
  t.teardown(cli.dispose);
  const linked = await cli.run(
    'accounts',
    'link',
    'jane.smith@nhs.net',
    '--object-id',
    jane.oid.toUpperCase(),
  );
  t.is(linked.code, 0, linked.stderr);
  t.regex(
    linked.stdout,
    new RegExp(`^Linked jane.smith@nhs.net to tenant [0-9a-f-]{36}, object ${jane.oid} `),
  );
  const taken = await cli.run('accounts', 'link', 'tom.jones@nhs.net', '--object-id', jane.oid);
  t.is(taken.code, 1);
  t.is(taken.stderr, 'error: that NHSmail identity is already linked to jane.smith@nhs.net\n');
  const twice = await cli.run('accounts', 'link', 'jane.smith@nhs.net', '--object-id', tom.oid);
  t.is(twice.stderr, 'error: jane.smith@nhs.net is already linked; unlink it first\n');
  const badGuid = await cli.run('accounts', 'link', 'jane.smith@nhs.net', '--object-id', 'abc');
  t.is(badGuid.stderr, 'error: --object-id must be a GUID\n');

  const shown = await cli.run('accounts', 'show', 'jane.smith@nhs.net');
  t.regex(
    shown.stdout,
    new RegExp(`^NHSmail link: +tenant [0-9a-f-]{36}, object ${jane.oid} \\(since `, 'm'),
  );

  const unlinked = await cli.run('accounts', 'unlink', 'jane.smith@nhs.net');
  t.is(unlinked.code, 0, unlinked.stderr);
  t.is(
    unlinked.stdout,
    'Unlinked jane.smith@nhs.net; the next NHSmail sign-in with this email links it again.\n',
  );
  await cli.withDatabase(async (db) => {
    t.like(await db('accounts').where({ email: 'jane.smith@nhs.net' }).first(), {
      upstream_tid: null,
      upstream_oid: null,
      linked_at: null,
    });
    t.deepEqual(await db('audit_events').orderBy('id').pluck('outcome'), ['linked', 'unlinked']);
  });
  const again = await cli.run('accounts', 'unlink', 'jane.smith@nhs.net');
  t.is(again.code, 0);
  t.is(again.stdout, 'jane.smith@nhs.net is not linked; nothing to do.\n');
});
