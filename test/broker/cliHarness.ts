// Runs the cqrs-broker CLI as an administrator would: a child process of this Node, with its own
// environment (a fresh DATA_DIR by default), and opens the database it wrote to for assertions.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type http from 'node:http';
import type { Knex } from 'knex';
import type Provider from 'oidc-provider';
import { AccountStore } from '../../broker/accounts/accountStore.ts';
import { loadConfig } from '../../broker/config.ts';
import { createIssuer } from '../../broker/issuer/provider.ts';
import { createDatabase } from '../../shared/database.ts';
import { closeServer, listen, portOf } from '../../shared/http/serve.ts';

export const cliPath = fileURLToPath(new URL('../../broker/cli/main.ts', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliEnvironment {
  env: Record<string, string>;
  dataDir: string;
  /** Runs `cqrs-broker <args>` in this environment. */
  run(...args: string[]): Promise<CliResult>;
  /** Opens the broker database the CLI uses, runs `work`, and closes it again. */
  withDatabase<T>(work: (db: Knex) => Promise<T>): Promise<T>;
  /** Deletes the temporary DATA_DIR. */
  dispose(): Promise<void>;
}

export function runCli(
  args: readonly string[],
  env: Record<string, string>,
  cwd?: string,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      env,
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Where util-linux `script` is installed: it gives the CLI a pseudo-terminal, as a person's shell would. */
export const scriptCommand = ['/usr/bin/script', '/bin/script'].find((file) => existsSync(file));

/** Runs the CLI on a pseudo-terminal (stdout and stderr arrive merged, with terminal control codes). */
export function runCliInTerminal(args: readonly string[], env: Record<string, string>): Promise<CliResult> {
  if (!scriptCommand) throw new Error('util-linux script is not installed');
  const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;
  const command = [process.execPath, cliPath, ...args].map(quote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(scriptCommand, ['-qec', command, '/dev/null'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr: '' }));
  });
}

/** The parent's environment without anything that would point the CLI at another database or mode. */
function baseEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || name.startsWith('DATABASE_') || name === 'NODE_ENV' || name === 'DATA_DIR')
      continue;
    env[name] = value;
  }
  return { ...env, LOG_LEVEL: 'silent' };
}

export async function cliEnvironment(
  extra: Record<string, string> = {},
  database?: { url: string; schema: string },
): Promise<CliEnvironment> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'cqrs-broker-cli-'));
  const env = {
    ...baseEnvironment(),
    DATA_DIR: dataDir,
    ...(database ? { DATABASE_URL: database.url, DATABASE_SCHEMA: database.schema } : {}),
    ...extra,
  };
  return {
    env,
    dataDir,
    run: (...args) => runCli(args, env, dataDir),
    async withDatabase(work) {
      const db = createDatabase({
        url: database?.url,
        schema: database?.schema,
        sqliteFile: path.join(dataDir, 'broker.sqlite'),
      });
      try {
        return await work(db);
      } finally {
        await db.destroy();
      }
    },
    dispose: () => rm(dataDir, { recursive: true, force: true }),
  };
}

/** The broker's issuer on the CLI's database, for as long as the test runs. */
export async function startIssuer(t: { teardown(fn: () => Promise<void>): void }, cli: CliEnvironment) {
  const config = loadConfig({ DATA_DIR: cli.dataDir, LOG_LEVEL: 'silent' });
  const db: Knex = createDatabase(config.database);
  const provider: Provider = await createIssuer(config, db, new AccountStore(db));
  const server: http.Server = await listen(provider.callback(), 0, '127.0.0.1');
  t.teardown(async () => {
    await closeServer(server);
    await db.destroy();
  });
  /** HTTP status of an introspection request authenticated with this client id and secret. */
  const introspect = async (clientId: string, secret: string): Promise<number> => {
    const response = await fetch(`http://127.0.0.1:${portOf(server)}/token/introspection`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'token=not-a-real-token',
    });
    await response.arrayBuffer();
    return response.status;
  };
  const jwks = async (): Promise<Array<{ kid: string }>> => {
    const response = await fetch(`http://127.0.0.1:${portOf(server)}/jwks`);
    return ((await response.json()) as { keys: Array<{ kid: string }> }).keys;
  };
  return { provider, introspect, jwks };
}

/** No stack trace reaches an administrator: no `    at file:line` frames. */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+:\d+/m.test(text);
}
