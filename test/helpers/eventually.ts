// Waiting for what happens after a response (a logout token delivered from the outbox, a session ended
// by it): poll, with a bound. A test then asserts the outcome; it never times anything.
import path from 'node:path';
import { type CliResult, runCli } from '../broker/cliHarness.ts';
import type { TestSystem } from './system.ts';

/** Polls until `done` holds or `limitMs` pass; resolves with the last answer, for the test to assert. */
export async function eventually(done: () => boolean | Promise<boolean>, limitMs = 20_000): Promise<boolean> {
  const until = Date.now() + limitMs;
  for (;;) {
    if (await done()) return true;
    if (Date.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs `cqrs-broker <args>` as a separate process on the running system's broker database (SQLite). */
export function brokerCli(system: TestSystem, ...args: string[]): Promise<CliResult> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || name.startsWith('DATABASE_') || name === 'NODE_ENV') continue;
    env[name] = value;
  }
  const dataDir = path.dirname(system.brokerConfig.database.sqliteFile);
  return runCli(args, { ...env, DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
}
