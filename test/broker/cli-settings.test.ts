// The CLI asks only for the settings a command needs: an administrator on a production host lists
// accounts with the database settings alone, while the server itself still refuses to start without
// its secrets. A bad database setting is still named.
import test from 'ava';
import { loadConfig } from '../../broker/config.ts';
import { ConfigError } from '../../shared/config.ts';
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
