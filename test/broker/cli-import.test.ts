// `cqrs-broker accounts import|export`: good rows land, bad rows are reported with their row numbers
// (on stderr and in <file>.errors.csv) with a non-zero exit, and export then import round-trips exactly.
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { personaByEmail } from '../../seeds/personas.ts';
import { createKnexAdapter } from '../../shared/oidc/knexAdapter.ts';
import { type CliEnvironment, cliEnvironment, runCliInTerminal, scriptCommand } from './cliHarness.ts';

async function writeCsv(cli: CliEnvironment, name: string, lines: string[]): Promise<string> {
  const file = path.join(cli.dataDir, name);
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

test('import writes the good rows and reports each bad row with its row number', async (t) => {
  const cli = await cliEnvironment();
  t.teardown(cli.dispose);
  await cli.run('seed');
  const file = await writeCsv(cli, 'accounts.csv', [
    'email,given_name,family_name,status,organisations',
    'new.user@nhs.net,New,User,active,A81001|The Densham Surgery|gp_practice|practice_user',
    'not-an-email,Bad,Email,active,',
    'odd.status@nhs.net,Odd,Status,disabled,',
    'bad.orgs@nhs.net,Bad,Orgs,active,A81001|The Densham Surgery|practice_user',
    'NEW.USER@nhs.net,Second,Copy,active,',
    '"Multi.Line@nhs.net",Mary,"Smith\nJones",active,',
    'too.many@nhs.net,Too,Many,active,,extra',
    '"Quote.Comma@nhs.net","Mary ""May""","Smith, Jones",suspended,"QE1|NHS Lancashire and South Cumbria ICB|icb|commissioner,user_administrator;P81002|Ash Tree Medical Practice|gp_practice|commissioner"',
    'tom.jones@nhs.net,Thomas,Jones,,QE1|NHS Lancashire and South Cumbria ICB|icb|commissioner',
  ]);
  const result = await cli.run('accounts', 'import', file);
  t.is(result.code, 2, result.stderr);
  t.is(
    result.stdout,
    `Imported accounts.csv: 9 row(s); 2 created, 1 updated, 0 unchanged, 6 failed (listed in ${file}.errors.csv).\n`,
  );
  const expectedErrors = [
    'row 3 (not-an-email): not a valid email address',
    'row 4 (odd.status@nhs.net): status must be active or suspended',
    'row 5 (bad.orgs@nhs.net): organisation 1: "A81001|The Densham Surgery|practice_user" is not ODS|name|type|roles',
    'row 6 (NEW.USER@nhs.net): duplicate: new.user@nhs.net is already in row 2',
    'row 7 (Multi.Line@nhs.net): family name may not contain line breaks or other control characters',
    'row 9 (too.many@nhs.net): expected 5 fields, found 6',
  ];
  t.is(result.stderr, `${expectedErrors.join('\n')}\n`);
  t.is(
    await readFile(`${file}.errors.csv`, 'utf8'),
    [
      'row,email,reason',
      '3,not-an-email,not a valid email address',
      '4,odd.status@nhs.net,status must be active or suspended',
      '5,bad.orgs@nhs.net,"organisation 1: ""A81001|The Densham Surgery|practice_user"" is not ODS|name|type|roles"',
      '6,NEW.USER@nhs.net,duplicate: new.user@nhs.net is already in row 2',
      '7,Multi.Line@nhs.net,family name may not contain line breaks or other control characters',
      '9,too.many@nhs.net,"expected 5 fields, found 6"',
      '',
    ].join('\n'),
  );

  await cli.withDatabase(async (db) => {
    const emails = await db('accounts').orderBy('email').pluck('email');
    t.true(emails.includes('new.user@nhs.net'));
    t.true(emails.includes('quote.comma@nhs.net'));
    for (const refused of [
      'not-an-email',
      'odd.status@nhs.net',
      'bad.orgs@nhs.net',
      'multi.line@nhs.net',
      'too.many@nhs.net',
    ])
      t.false(emails.includes(refused), refused);
    t.is(emails.length, 9);
    const newUser = await db('accounts').where({ email: 'new.user@nhs.net' }).first();
    t.is(newUser.given_name, 'New', 'the first row of a duplicated email wins');
    const quoted = await db('accounts').where({ email: 'quote.comma@nhs.net' }).first();
    t.like(quoted, { given_name: 'Mary "May"', family_name: 'Smith, Jones', status: 'suspended' });
    t.deepEqual(
      await db('account_organisations').where({ account_id: quoted.id }).orderBy('ods_code').pluck('roles'),
      ['["commissioner"]', '["commissioner","user_administrator"]'],
    );
    const tom = await db('accounts').where({ email: 'tom.jones@nhs.net' }).first();
    t.like(tom, {
      id: personaByEmail('tom.jones@nhs.net')?.cqrsAccountId,
      given_name: 'Thomas',
      status: 'active',
    });
    t.deepEqual(await db('account_organisations').where({ account_id: tom.id }).pluck('ods_code'), ['QE1']);
  });

  // Fixed, the file imports cleanly: the rows already in are unchanged and the stale report goes.
  await writeCsv(cli, 'accounts.csv', [
    'email,given_name,family_name,status,organisations',
    'new.user@nhs.net,New,User,active,A81001|The Densham Surgery|gp_practice|practice_user',
    'odd.status@nhs.net,Odd,Status,suspended,',
  ]);
  const fixed = await cli.run('accounts', 'import', file);
  t.is(fixed.code, 0, fixed.stderr);
  t.is(fixed.stdout, 'Imported accounts.csv: 2 row(s); 1 created, 0 updated, 1 unchanged, 0 failed.\n');
  t.is(fixed.stderr, '');
  await t.throwsAsync(stat(`${file}.errors.csv`), { code: 'ENOENT' });
});

test('export then import into an empty broker round-trips exactly; re-import changes nothing', async (t) => {
  const source = await cliEnvironment();
  const target = await cliEnvironment();
  t.teardown(source.dispose);
  t.teardown(target.dispose);
  await source.run('seed');
  await source.run(
    'accounts',
    'add',
    'quoted@nhs.net',
    '--given-name',
    'Zoë "Zed"',
    '--family-name',
    'Ó Briain, Jr',
    '--organisation',
    'Y00001:Clinic: North & South:gp_practice:practice_user,user_administrator',
  );
  const exported = await source.run('accounts', 'export');
  t.is(exported.code, 0, exported.stderr);
  const lines = exported.stdout.split('\n');
  t.is(lines[0], 'email,given_name,family_name,status,organisations');
  t.true(
    lines.includes(
      'tom.jones@nhs.net,Tom,Jones,active,"P81002|Ash Tree Medical Practice|gp_practice|commissioner;' +
        'P81003|Beech House Surgery|gp_practice|commissioner;' +
        'QE1|NHS Lancashire and South Cumbria ICB|icb|commissioner,user_administrator"',
    ),
  );
  t.true(
    lines.includes(
      'suspended.user@nhs.net,Sam,Patel,suspended,A81001|The Densham Surgery|gp_practice|practice_user',
    ),
  );

  const file = path.join(source.dataDir, 'export.csv');
  const toFile = await source.run('accounts', 'export', file);
  t.is(toFile.stdout, `Exported 8 account(s) to ${file}.\n`);
  t.is(await readFile(file, 'utf8'), exported.stdout, 'a file holds what stdout shows');
  t.is((await stat(file)).mode & 0o777, 0o600, 'personal data is readable by its owner only');

  const imported = await target.run('accounts', 'import', file);
  t.is(imported.code, 0, imported.stderr);
  t.is(imported.stdout, 'Imported export.csv: 8 row(s); 8 created, 0 updated, 0 unchanged, 0 failed.\n');
  const again = await target.run('accounts', 'export');
  t.is(again.stdout, exported.stdout);

  const reimported = await source.run('accounts', 'import', file);
  t.is(reimported.stdout, 'Imported export.csv: 8 row(s); 0 created, 0 updated, 8 unchanged, 0 failed.\n');
});

test('an import row that suspends an active account ends its tokens, as suspend does', async (t) => {
  const cli = await cliEnvironment();
  t.teardown(cli.dispose);
  await cli.run('seed');
  const jane = personaByEmail('jane.smith@nhs.net')!;
  await cli.withDatabase(async (db) => {
    const Adapter = createKnexAdapter(db);
    await new Adapter('RefreshToken').upsert('jane-refresh', { accountId: jane.cqrsAccountId }, 3600);
  });
  const file = await writeCsv(cli, 'suspend.csv', [
    'email,given_name,family_name,status,organisations',
    'jane.smith@nhs.net,Jane,Smith,suspended,A81001|The Densham Surgery|gp_practice|practice_user',
  ]);
  const result = await cli.run('accounts', 'import', file);
  t.is(result.code, 0, result.stderr);
  await cli.withDatabase(async (db) => {
    t.is((await db('accounts').where({ id: jane.cqrsAccountId }).first()).status, 'suspended');
    t.is(Number((await db('oidc_payloads').count({ n: '*' }).first())?.n), 0);
    const event = await db('audit_events').where({ account_id: jane.cqrsAccountId }).first();
    t.like(event, { event: 'account', outcome: 'suspended' });
    t.regex(event.detail, /imported from suspend\.csv; 1 sessions, grants and tokens ended/);
  });
});

test('a file that cannot be imported at all fails before writing anything', async (t) => {
  const cli = await cliEnvironment();
  t.teardown(cli.dispose);
  const cases: Array<[string, string[] | undefined, string]> = [
    ['missing.csv', undefined, 'cannot read {file}: no such file'],
    ['empty.csv', [], 'the file is empty: expected a header line'],
    [
      'typo.csv',
      ['email,givenname,family_name', 'a@nhs.net,A,B'],
      'unknown column "givenname" in the header; expected email,given_name,family_name,status,organisations',
    ],
    ['short.csv', ['email,family_name', 'a@nhs.net,B'], 'the header lacks the column(s) given_name'],
    [
      'quote.csv',
      ['email,given_name,family_name', 'a@nhs.net,"A,B'],
      'not a readable CSV file: Quote Not Closed',
    ],
  ];
  for (const [name, lines, message] of cases) {
    const file = lines ? await writeCsv(cli, name, lines) : path.join(cli.dataDir, name);
    if (lines?.length === 0) await writeFile(file, '');
    const result = await cli.run('accounts', 'import', file);
    t.is(result.code, 1, name);
    t.true(
      result.stderr.startsWith(`error: ${message.replace('{file}', file)}`),
      `${name}: ${result.stderr}`,
    );
    t.is(result.stderr.split('\n').length, 2, name);
  }
  t.is((await cli.run('accounts', 'list')).stdout, 'No accounts.\n');
});

// Needs a pseudo-terminal from util-linux `script`; reported as skipped (with the reason) without it.
const terminalTest = scriptCommand ? test : test.skip;
terminalTest(
  `on a terminal, import shows a progress bar${scriptCommand ? '' : ' (skipped: no util-linux script)'}`,
  async (t) => {
    const cli = await cliEnvironment();
    t.teardown(cli.dispose);
    const file = await writeCsv(cli, 'two.csv', ['email,given_name,family_name', 'a@nhs.net,A,B', 'bad,C,D']);
    const result = await runCliInTerminal(['accounts', 'import', file], cli.env);
    t.is(result.code, 2);
    t.regex(result.stdout, /Importing \[.*\] 2\/2 rows, 1 failed/);
    t.regex(result.stdout, /row 3 \(bad\): not a valid email address/);
    t.regex(result.stdout, /Imported two\.csv: 2 row\(s\); 1 created, 0 updated, 0 unchanged, 1 failed/);
  },
);
