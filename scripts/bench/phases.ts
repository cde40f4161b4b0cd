// The measured phases: sign-ins at one concurrency, and refresh grants. Each takes a snapshot of every
// service before and after, and divides the difference by the operations completed.
import { percentile, runLoad } from './load.ts';
import type { ServiceName } from './options.ts';
import type { Latency, RefreshPhase, SignInPhase } from './result.ts';
import { type BrokerClient, refresh, signIn } from './signIn.ts';
import { costPerOperation, type Snapshot } from './snapshot.ts';

// The two seeded personas that reach the message centre; tom.jones has three organisations.
export const personas = ['jane.smith@nhs.net', 'tom.jones@nhs.net'];
export const personaFor = (index: number) => personas[index % personas.length] ?? 'jane.smith@nhs.net';

export function latency(samples: number[]): Latency {
  const at = (quantile: number) => {
    const value = percentile(samples, quantile);
    return value === null ? null : Math.round(value);
  };
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1) };
}

export const perSecond = (count: number, seconds: number) => Number((count / seconds).toFixed(1));

/** Sign-ins not measured: JIT, upstream discovery and key caches. A failure stops the run with its reason. */
export async function warmUp(client: BrokerClient, count: number): Promise<void> {
  for (let index = 0; index < count; index += 1) await signIn(client, personaFor(index));
}

export async function signInPhase(
  client: BrokerClient,
  concurrency: number,
  seconds: number,
  snapshot: () => Promise<Snapshot>,
  signal: AbortSignal,
): Promise<SignInPhase> {
  const before = await snapshot();
  const load = await runLoad({
    label: `sign-ins, ${concurrency} concurrent`,
    concurrency,
    seconds,
    signal,
    operation: async (_worker, index) => {
      await signIn(client, personaFor(index));
    },
  });
  const cost = costPerOperation(before, await snapshot(), load.completed);
  return {
    concurrency,
    signIns: load.completed,
    errors: load.errors,
    errorSamples: load.errorSamples,
    wallSeconds: Number(load.wallSeconds.toFixed(2)),
    signInsPerSecond: perSecond(load.completed, load.wallSeconds),
    latencyMs: latency(load.latenciesMs),
    services: cost.services,
    databaseBytesPerSignIn: cost.databaseBytesPerOperation,
  };
}

/** Each client signs in once with offline_access (which needs prompt=consent), then rotates its own token. */
export async function refreshPhase(
  client: BrokerClient,
  concurrency: number,
  seconds: number,
  snapshot: () => Promise<Snapshot>,
  signal: AbortSignal,
): Promise<RefreshPhase> {
  const setup = await Promise.allSettled(
    Array.from({ length: concurrency }, (_unused, index) =>
      signIn(client, personaFor(index), { offlineAccess: true }),
    ),
  );
  const failures = setup.flatMap((outcome) =>
    outcome.status === 'rejected' ? [String(outcome.reason?.message ?? outcome.reason)] : [],
  );
  if (failures.length > 0) {
    // Without a refresh token per client there is nothing to measure; the report says why.
    const counts = new Map<string, number>();
    for (const message of failures)
      counts.set(`refresh setup: ${message}`, (counts.get(`refresh setup: ${message}`) ?? 0) + 1);
    return {
      concurrency,
      grants: 0,
      errors: failures.length,
      errorSamples: [...counts].map(([message, count]) => ({ message, count })),
      wallSeconds: 0,
      grantsPerSecond: 0,
      latencyMs: latency([]),
      broker: null,
      brokerDatabaseBytesPerGrant: null,
    };
  }
  const refreshTokens = setup.map((outcome) =>
    outcome.status === 'fulfilled' ? (outcome.value.refreshToken ?? '') : '',
  );
  const before = await snapshot();
  const load = await runLoad({
    label: `refresh grants, ${concurrency} concurrent`,
    concurrency,
    seconds,
    signal,
    operation: async (worker) => {
      refreshTokens[worker] = await refresh(client, refreshTokens[worker] ?? '');
    },
  });
  const cost = costPerOperation(before, await snapshot(), load.completed);
  const broker: ServiceName = 'broker';
  return {
    concurrency,
    grants: load.completed,
    errors: load.errors,
    errorSamples: load.errorSamples,
    wallSeconds: Number(load.wallSeconds.toFixed(2)),
    grantsPerSecond: perSecond(load.completed, load.wallSeconds),
    latencyMs: latency(load.latenciesMs),
    broker: cost.services[broker],
    brokerDatabaseBytesPerGrant: cost.databaseBytesPerOperation[broker] ?? null,
  };
}
