// The cqrs-broker CLI on PostgreSQL (DATABASE_URL and DATABASE_SCHEMA, as a multi-instance deployment
// sets them): the same commands leave the same state as on SQLite.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { personaByEmail } from '../../seeds/personas.ts';
import { hashClientSecret } from '../../shared/oidc/clientStore.ts';
import { createKnexAdapter } from '../../shared/oidc/knexAdapter.ts';
import {
  createPostgresSchema,
  dropPostgresSchema,
  postgresRequired,
  postgresUrl,
} from '../helpers/postgres.ts';
import { cliEnvironment } from './cliHarness.ts';

// CI=true makes an unreachable PostgreSQL a failure here; locally the test is reported as skipped, with why.
const check = await postgresRequired();
const postgresTest = check.run ? test : test.skip;
const title = `on PostgreSQL: seed, accounts, import, suspend, clients, keys and audit${check.run ? '' : ` (skipped: ${check.reason})`}`;

postgresTest(title, async (t) => {
  const schema = await createPostgresSchema(postgresUrl);
  const cli = await cliEnvironment({}, { url: postgresUrl, schema });
  t.teardown(async () => {
    await cli.dispose();
    await dropPostgresSchema(postgresUrl, schema);
  });
  const ok = async (...args: string[]) => {
    const result = await cli.run(...args);
    t.is(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    return result;
  };

  t.regex((await ok('migrate')).stdout, /^Applied 13 migration\(s\)/);
  await ok('seed');
  await ok('accounts', 'add', 'pg.user@nhs.net', '--given-name', 'Pat', '--family-name', 'Gray');

  const file = path.join(cli.dataDir, 'accounts.csv');
  await writeFile(
    file,
    'email,given_name,family_name,status,organisations\nrow.two@nhs.net,Row,Two,active,\nbad,Row,Three,active,\n',
  );
  const imported = await cli.run('accounts', 'import', file);
  t.is(imported.code, 2);
  t.is(imported.stderr, 'row 3 (bad): not a valid email address\n');

  const jane = personaByEmail('jane.smith@nhs.net')!;
  await cli.withDatabase(async (db) => {
    await new (createKnexAdapter(db))('Session').upsert(
      'jane-session',
      { accountId: jane.cqrsAccountId },
      600,
    );
  });
  t.regex((await ok('accounts', 'suspend', 'jane.smith@nhs.net')).stdout, /ended 1 session/);

  const added = await ok('clients', 'add', 'pg-app', '--redirect-uri', 'https://pg.example.org/cb', '--json');
  const { client_secret } = JSON.parse(added.stdout);
  t.false((await ok('clients', 'list')).stdout.includes(client_secret));
  await ok('keys', 'rotate');
  await ok('keys', 'rotate', '--keep-previous-hours', '1');

  await cli.withDatabase(async (db) => {
    const emails = await db('accounts').orderBy('email').pluck('email');
    t.is(emails.length, 9);
    t.true(emails.includes('pg.user@nhs.net') && emails.includes('row.two@nhs.net'));
    t.is((await db('accounts').where({ email: 'jane.smith@nhs.net' }).first()).status, 'suspended');
    t.is(Number((await db('oidc_payloads').count({ n: '*' }).first())?.n), 0);
    t.is(
      (await db('oauth_clients').where({ client_id: 'pg-app' }).first()).secret_sha256,
      hashClientSecret(client_secret),
    );
    const keys = await db('signing_keys').orderBy('generation');
    t.is(keys.length, 2);
    t.true(keys[0].expires_at > Date.now(), 'the previous key is still published');
  });

  const audit = JSON.parse((await ok('audit', '--email', 'jane.smith@nhs.net', '--json')).stdout);
  t.deepEqual(
    audit.map((event: { outcome: string }) => event.outcome),
    ['suspended'],
  );
  // The round trip holds on PostgreSQL too.
  const exported = (await ok('accounts', 'export')).stdout;
  await writeFile(file, exported);
  t.regex((await ok('accounts', 'import', file)).stdout, /0 created, 0 updated, 9 unchanged, 0 failed/);
});
