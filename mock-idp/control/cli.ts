#!/usr/bin/env node
// The tester CLI of the mock NHSmail IdP: every control API operation (api.ts) from a shell, against a
// running mock. Tables for people, --json for scripts; a refusal is one line on stderr and exit 1,
// printed because the error is marked `expose` (shared/errors.ts), never from a list of expected ones.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { developmentControlToken } from '../../seeds/clients.ts';
import { seededPassword } from '../../seeds/personas.ts';
import { isServiceError, ServiceError } from '../../shared/errors.ts';
import { type AccountInput, ControlClient } from './client.ts';
import { accountDetails, accountsTable, attemptsTable, scenariosTables } from './output.ts';

interface GlobalOptions {
  url: string;
  token: string;
  json?: boolean;
}

function parseUrl(value: string): string {
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol))
    throw new InvalidArgumentError('must be an http(s) URL, e.g. http://localhost:3001');
  return value;
}

function parseLimit(value: string): number {
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw new InvalidArgumentError('must be a whole number from 1 to 1000');
  return limit;
}

function createProgram(): Command {
  const program = new Command('mock-idp')
    .description('Script the mock NHSmail IdP through its control API (/_mock/).')
    .addOption(
      new Option('--url <url>', 'base URL of the running mock')
        .env('MOCK_IDP_URL')
        .default('http://localhost:3001')
        .argParser(parseUrl),
    )
    .addOption(
      new Option('--token <token>', 'control API bearer token')
        .env('MOCK_CONTROL_TOKEN')
        .default(developmentControlToken, 'the development token'),
    )
    .option('--json', 'print the API answer as JSON (for scripts)')
    .exitOverride();

  // Every command runs with the global options and prints either JSON or the human-readable form.
  const action =
    <A extends unknown[]>(
      run: (client: ControlClient, ...args: A) => Promise<{ json: unknown; text: string }>,
    ) =>
    async (...args: A) => {
      const options = program.opts<GlobalOptions>();
      const result = await run(new ControlClient(options.url, options.token), ...args);
      process.stdout.write(`${options.json ? JSON.stringify(result.json, null, 2) : result.text}\n`);
    };

  const accounts = program.command('accounts').description('list, show, create, update and delete accounts');
  accounts
    .command('list', { isDefault: true })
    .description('every NHSmail account with its state, lockout and one-time code')
    .action(
      action(async (client) => {
        const list = await client.listAccounts();
        return { json: { accounts: list }, text: accountsTable(list) };
      }),
    );
  accounts
    .command('show')
    .description('one account')
    .argument('<email>', 'the NHSmail user ID')
    .action(
      action(async (client, email: string) => {
        const account = await client.showAccount(email);
        return { json: account, text: accountDetails(account) };
      }),
    );
  accounts
    .command('create')
    .description('create an account')
    .argument('<email>', 'the new NHSmail user ID')
    .requiredOption('--given-name <name>', 'first name')
    .requiredOption('--family-name <name>', 'last name')
    .option(
      '--password <password>',
      'password (upper and lower case, a number, 8+ characters)',
      seededPassword,
    )
    .option('--state <state>', 'active, locked, disabled or password_expired', 'active')
    .option('--mfa', 'require a one-time code after the password')
    .action(
      action(
        async (
          client,
          email: string,
          options: { givenName: string; familyName: string; password: string; state: string; mfa?: boolean },
        ) => {
          const account = await client.createAccount({
            email,
            password: options.password,
            givenName: options.givenName,
            familyName: options.familyName,
            state: options.state,
            mfaRequired: options.mfa === true,
          });
          return { json: account, text: `Created ${account.email}\n\n${accountDetails(account)}` };
        },
      ),
    );
  accounts
    .command('update')
    .description('change an account: name, state, MFA or password')
    .argument('<email>', 'the NHSmail user ID')
    .option('--given-name <name>', 'first name')
    .option('--family-name <name>', 'last name')
    .option('--password <password>', 'new password')
    .option('--state <state>', 'active, locked, disabled or password_expired')
    .option('--mfa', 'require a one-time code after the password')
    .option('--no-mfa', 'stop requiring a one-time code')
    .action(
      action(async (client, email: string, options: Record<string, string | boolean | undefined>) => {
        const changes: AccountInput = {};
        if (typeof options.givenName === 'string') changes.givenName = options.givenName;
        if (typeof options.familyName === 'string') changes.familyName = options.familyName;
        if (typeof options.password === 'string') changes.password = options.password;
        if (typeof options.state === 'string') changes.state = options.state;
        if (typeof options.mfa === 'boolean') changes.mfaRequired = options.mfa;
        if (Object.keys(changes).length === 0)
          throw new ServiceError(
            'nothing_to_change',
            'nothing to change: give --given-name, --family-name, --password, --state, --mfa or --no-mfa',
          );
        const account = await client.updateAccount(email, changes);
        return { json: account, text: `Updated ${account.email}\n\n${accountDetails(account)}` };
      }),
    );
  accounts
    .command('delete')
    .description('delete an account')
    .argument('<email>', 'the NHSmail user ID')
    .action(
      action(async (client, email: string) => {
        await client.deleteAccount(email);
        return { json: { deleted: email.trim().toLowerCase() }, text: `Deleted ${email}` };
      }),
    );

  program
    .command('lock')
    .description('lock an account until it is unlocked')
    .argument('<email>', 'the NHSmail user ID')
    .action(
      action(async (client, email: string) => {
        const account = await client.lock(email);
        return { json: account, text: `Locked ${account.email}` };
      }),
    );
  program
    .command('unlock')
    .description('unlock an account and clear its failed-password count')
    .argument('<email>', 'the NHSmail user ID')
    .action(
      action(async (client, email: string) => {
        const account = await client.unlock(email);
        return { json: account, text: `Unlocked ${account.email}` };
      }),
    );
  program
    .command('scenarios')
    .description('the failure catalogue and what is armed for the next sign-in')
    .action(
      action(async (client) => {
        const answer = await client.scenarios();
        return { json: answer, text: scenariosTables(answer) };
      }),
    );
  program
    .command('next-sign-in')
    .description("arm a scenario for one account's next sign-in (or anyone's); it fires once")
    .argument('<scenario>', 'a scenario name from `mock-idp scenarios`')
    .option('--account <email>', 'only for this account (default: the next sign-in of anyone)')
    .action(
      action(async (client, scenario: string, options: { account?: string }) => {
        const armed = await client.armNextSignIn(scenario, options.account);
        const who = armed.target === '*' ? 'anyone' : armed.target;
        return { json: armed, text: `Armed ${armed.scenario} for the next sign-in of ${who}` };
      }),
    );
  program
    .command('disarm')
    .description('disarm every armed scenario (or only those for one account)')
    .option('--account <email>', "only this account's (use '*' for those armed for anyone)")
    .action(
      action(async (client, options: { account?: string }) => {
        const answer = await client.disarm(options.account);
        return { json: answer, text: `Disarmed ${answer.disarmed} scenario(s)` };
      }),
    );
  program
    .command('attempts')
    .description('recent sign-in attempts, newest first')
    .option('--email <email>', 'only this user ID')
    .option('--limit <n>', 'how many (1-1000, default 50)', parseLimit)
    .action(
      action(async (client, options: { email?: string; limit?: number }) => {
        const attempts = await client.attempts(options);
        return { json: { attempts }, text: attemptsTable(attempts) };
      }),
    );
  program
    .command('reset')
    .description('restore the seed state: personas, no armed scenarios, no attempts')
    .action(
      action(async (client) => {
        const answer = await client.reset();
        return { json: answer, text: `Reset to the seed state (${answer.accounts} accounts)` };
      }),
    );
  return program;
}

try {
  await createProgram().parseAsync(process.argv);
} catch (caught) {
  if (caught instanceof CommanderError) {
    // Commander has already printed its one-line message (or the help/version text).
    process.exitCode = caught.exitCode;
  } else if (isServiceError(caught) && caught.expose) {
    // A refusal written for the tester (by the control API or by this CLI): one line.
    process.stderr.write(`error: ${caught.message}\n`);
    process.exitCode = 1;
  } else {
    // A fault in the CLI itself, not written for anyone: one line, no stack trace, no detail.
    const kind = caught instanceof Error ? ` (${caught.name})` : '';
    process.stderr.write(`error: the mock-idp CLI failed unexpectedly${kind}\n`);
    process.exitCode = 70;
  }
}
