// The command line of `npm run bench`: how long each phase runs, at which concurrencies, where the
// report goes and which service (if any) runs under the V8 CPU profiler.
import path from 'node:path';
import { parseArgs } from 'node:util';

export type ServiceName = 'mock-idp' | 'broker' | 'cqrs-app';
export const serviceNames: readonly ServiceName[] = ['mock-idp', 'broker', 'cqrs-app'];

export interface BenchOptions {
  /** Seconds of unmeasured sign-ins before the first phase (0: a few sign-ins only). */
  warmUpSeconds: number;
  /** Seconds each sign-in phase keeps starting new sign-ins. */
  seconds: number;
  concurrencies: number[];
  refreshSeconds: number;
  refreshConcurrency: number;
  /** Where the JSON, markdown and SVG go. */
  outDir: string;
  /** postgres://… for the broker; absent for SQLite in a scratch folder. */
  databaseUrl: string | undefined;
  profile: ServiceName | undefined;
  quick: boolean;
  /** Whether the bare-library floor phase runs (`--no-floor`: not). */
  floor: boolean;
  /** `--help`: print the usage and do nothing else. */
  help: boolean;
}

export const usage = `Usage: npm run bench -- [options]
  --warm-up-seconds N      seconds of unmeasured sign-ins at 10 concurrent (or the highest
                           --concurrency) before the first phase, for the services and the floor
                           alike (default 30; --quick: 1; 0: four sign-ins only)
  --seconds N              seconds per sign-in phase (default 15; --quick: 1)
  --concurrency 1,4,10,20  concurrent browsers per phase (default 1,4,10,20; --quick: 1,4)
  --refresh-seconds N      seconds of refresh grants (default 10; --quick: 1)
  --refresh-concurrency N  concurrent clients refreshing (default 10; --quick: 4)
  --database-url URL       run the broker on this PostgreSQL (default: DATABASE_URL, else SQLite)
  --profile SERVICE        run broker, mock-idp or cqrs-app under node --cpu-prof and summarise it
  --out DIR                report folder (default bench-results/<timestamp>)
  --no-floor               skip the floor: a bare oidc-provider broker and upstream, measured after
                           the services at 10 concurrent (or the highest --concurrency)
  --quick                  a smoke run of a few seconds`;

/** Thrown for a bad command line; the message says which option and why. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A number option up to `max`, above 0, or from 0 where `zeroAllowed`; `fallback` when absent. */
function numberOption(
  value: string | undefined,
  option: string,
  fallback: number,
  max: number,
  zeroAllowed = false,
): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  const tooLow = zeroAllowed ? parsed < 0 : parsed <= 0;
  if (value.trim() === '' || !Number.isFinite(parsed) || tooLow || parsed > max)
    throw new UsageError(
      zeroAllowed
        ? `${option}: expected a number from 0 to ${max}, got "${value}"`
        : `${option}: expected a number above 0 and at most ${max}, got "${value}"`,
    );
  return parsed;
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv, root: string): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowNegative: true,
    options: {
      'warm-up-seconds': { type: 'string' },
      seconds: { type: 'string' },
      concurrency: { type: 'string' },
      'refresh-seconds': { type: 'string' },
      'refresh-concurrency': { type: 'string' },
      'database-url': { type: 'string' },
      profile: { type: 'string' },
      out: { type: 'string' },
      quick: { type: 'boolean', default: false },
      floor: { type: 'boolean', default: true },
      help: { type: 'boolean', default: false },
    },
  });
  const quick = values.quick ?? false;
  const concurrencies = (values.concurrency ?? (quick ? '1,4' : '1,4,10,20'))
    .split(',')
    .map((part) => numberOption(part.trim(), '--concurrency', 1, 200));
  if (concurrencies.some((value) => !Number.isInteger(value)))
    throw new UsageError('--concurrency: expected whole numbers, e.g. 1,4,10,20');
  const profile = values.profile;
  if (profile !== undefined && !serviceNames.includes(profile as ServiceName))
    throw new UsageError(`--profile: expected one of ${serviceNames.join(', ')}, got "${profile}"`);
  const databaseUrl = values['database-url'] ?? env.DATABASE_URL;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl))
    throw new UsageError('--database-url / DATABASE_URL: must be a postgres:// URL');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return {
    warmUpSeconds: numberOption(values['warm-up-seconds'], '--warm-up-seconds', quick ? 1 : 30, 3600, true),
    seconds: numberOption(values.seconds, '--seconds', quick ? 1 : 15, 3600),
    concurrencies,
    refreshSeconds: numberOption(values['refresh-seconds'], '--refresh-seconds', quick ? 1 : 10, 3600),
    refreshConcurrency: Math.round(
      numberOption(values['refresh-concurrency'], '--refresh-concurrency', quick ? 4 : 10, 200),
    ),
    outDir: path.resolve(values.out ?? path.join(root, 'bench-results', stamp)),
    databaseUrl,
    profile: profile as ServiceName | undefined,
    quick,
    floor: values.floor ?? true,
    help: values.help ?? false,
  };
}
