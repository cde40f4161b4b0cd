// `cqrs-broker conformance`: black-box OpenID Provider checks against any broker deployment (see
// docs/administration.md#conformance). It needs no database or broker settings: only the issuer URL and
// a registered client, and a user of a mock upstream for the checks that sign in.
import { type Command, Option } from 'commander';
import type { CheckResult } from '../conformance/checks.ts';
import { CliError, integerBetween } from './context.ts';
import { print, printJson } from './output.ts';

interface ConformanceCommandOptions {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  user?: string;
  password?: string;
  scope: string;
  backchannelPort?: number;
  json?: boolean;
}

const labels = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' } as const;
const nameWidth = 30;

function absoluteUrl(option: string, value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === 'https:' || url.protocol === 'http:') return value.replace(/\/$/, '') || value;
  } catch {}
  throw new CliError(`${option} "${value}" is not an absolute http(s) URL`);
}

export function formatResult(result: CheckResult): string {
  return `${labels[result.status]}  ${result.name.padEnd(nameWidth)}  ${result.detail}`;
}

export function registerConformanceCommand(program: Command): void {
  program
    .command('conformance')
    .description(
      'check a broker deployment as an OpenID Provider, black-box (no database or settings needed)',
    )
    .requiredOption('--issuer <url>', 'the issuer to check, e.g. https://cqrs-broker.example.org')
    .requiredOption('--client-id <id>', 'a confidential client registered at that issuer')
    // Secrets may come from the environment, so that they do not show in the process list.
    .addOption(
      new Option('--client-secret <secret>', "that client's secret")
        .env('CONFORMANCE_CLIENT_SECRET')
        .makeOptionMandatory(),
    )
    .requiredOption('--redirect-uri <uri>', 'a redirect URI registered for the client (never loaded)')
    .option('--user <user-id>', 'a user of a mock upstream, to sign in (with --password)')
    .addOption(
      new Option('--password <password>', "that user's password at the mock upstream").env(
        'CONFORMANCE_PASSWORD',
      ),
    )
    .option('--scope <scope>', 'the scope to ask for', 'openid email profile offline_access')
    .option(
      '--backchannel-port <port>',
      "listen on 127.0.0.1:<port> for the logout token (the client's backchannel_logout_uri must point there)",
      integerBetween(1, 65535),
    )
    .option('--json', 'print the results as JSON')
    .action(async (options: ConformanceCommandOptions) => {
      if ((options.user === undefined) !== (options.password === undefined))
        throw new CliError('give --user and --password together, or neither');
      const issuer = absoluteUrl('--issuer', options.issuer);
      // Keeps the redirect URI exactly as registered: a trailing slash is part of it.
      absoluteUrl('--redirect-uri', options.redirectUri);
      // Loaded here, not at start-up: the HTML parser and HTTP clients would slow every other command.
      const [{ CheckRecorder }, { runConformance }] = await Promise.all([
        import('../conformance/checks.ts'),
        import('../conformance/run.ts'),
      ]);
      const recorder = new CheckRecorder(options.json ? undefined : (result) => print(formatResult(result)));
      await runConformance(recorder, {
        issuer,
        clientId: options.clientId,
        clientSecret: options.clientSecret,
        redirectUri: options.redirectUri,
        credentials:
          options.user !== undefined && options.password !== undefined
            ? { user: options.user, password: options.password }
            : undefined,
        scope: options.scope,
        backchannelPort: options.backchannelPort,
      });
      const count = (status: CheckResult['status']) =>
        recorder.results.filter((result) => result.status === status).length;
      const summary = { passed: count('pass'), failed: count('fail'), skipped: count('skip') };
      if (options.json) printJson({ issuer, ...summary, checks: recorder.results });
      else
        print(
          `\n${recorder.results.length} checks: ${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped`,
        );
      if (summary.failed > 0) process.exitCode = 1;
    });
}
