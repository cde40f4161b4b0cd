// The CLI asks only for the settings a command needs: an administrator on a production host lists
// accounts with the database settings alone, while the server itself still refuses to start without
// its secrets. A bad database setting is still named, and a database that cannot be reached is said
// in one line.
import test from 'ava';
import { loadConfig } from '../../broker/config.ts';
import { ConfigError } from '../../shared/config.ts';
import { freePort } from '../helpers/ports.ts';
import { cliEnvironment, hasStackTrace } from './cliHarness.ts';

test('with NODE_ENV=production, accounts list needs no upstream or app client secret', async (t) => {
  const cli = await cliEnvironment({ NODE_ENV: 'production' });
  t.teardown(cli.dispose);
  t.is(cli.env.UPSTREAM_CLIENT_SECRET, undefined);
  t.is(cli.env.CQRS_APP_CLIENT_SECRET, undefined);
  const list = await cli.run('accounts', 'list');
  t.is(list.code, 0, list.stderr);
  t.is(list.stderr, '');
  const keys = await cli.run('keys', 'list');
  t.is(keys.code, 0, keys.stderr);
  // The server on the same environment still refuses to start with development secrets.
  const error = t.throws(() => loadConfig(cli.env), { instanceOf: ConfigError });
  t.regex(error?.message ?? '', /UPSTREAM_CLIENT_SECRET, CQRS_APP_CLIENT_SECRET/);
});

test('the CLI still names a database setting it cannot use', async (t) => {
  const cli = await cliEnvironment({ NODE_ENV: 'production', DATABASE_URL: 'mysql://somewhere/db' });
  t.teardown(cli.dispose);
  const list = await cli.run('accounts', 'list');
  t.is(list.code, 1);
  t.regex(list.stderr, /^error: .*DATABASE_URL: must be a postgres:\/\/ URL/);
  t.false(hasStackTrace(list.stderr));
});

test('a database that cannot be reached is one line naming the setting to check', async (t) => {
  const port = await freePort();
  const cli = await cliEnvironment({ DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/test` });
  t.teardown(cli.dispose);
  const list = await cli.run('accounts', 'list');
  t.is(list.code, 1);
  t.is(
    list.stderr,
    `error: cannot reach the database (connect ECONNREFUSED 127.0.0.1:${port}); check DATABASE_URL and that the database is up\n`,
  );
  t.false(hasStackTrace(list.stderr));
});
