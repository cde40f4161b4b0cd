// The measured phases: the idle pause, sign-ins at one concurrency, and refresh grants. Each takes a
// snapshot of every service before and after, and divides the difference by the time or by the
// operations completed.
import type { RequestObserver } from './browser.ts';
import { setTimeout as delay } from 'node:timers/promises';
import { countInstructions } from './instructions.ts';
import { type LoadResult, percentile, runLoad } from './load.ts';
import type { ServiceName } from './options.ts';
import { cpuMilliseconds } from './processStats.ts';
import type { Latency, RefreshPhase, RequestCost, SignInLoad, SignInPhase } from './result.ts';
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

/** How the services are warmed before anything is measured. */
export interface WarmUpPlan {
  /** Sign-ins one at a time first: upstream discovery and key caches; the first failure stops the run. */
  signIns: number;
  /** Then this long of sign-ins at `concurrency`, while V8 compiles the hot path (0: none). */
  seconds: number;
  concurrency: number;
}

/** Sign-ins one at a time, not measured: upstream discovery and key caches. A failure stops the run. */
export async function firstSignIns(client: BrokerClient, count: number): Promise<void> {
  for (let index = 0; index < count; index += 1) await signIn(client, personaFor(index));
}

/**
 * `plan.seconds` of sign-ins at `plan.concurrency`, not measured. A process keeps compiling its hot
 * path for its first minute or two of load (V8's optimising compiler runs on helper threads, inside
 * the process's CPU), so a phase measured right after a few sign-ins reads what the JIT costs, not
 * what a sign-in costs a running server. Any failure stops the run with its reason.
 */
export async function warmUpLoad(
  client: BrokerClient,
  plan: WarmUpPlan,
  signal: AbortSignal,
  label = 'warm-up',
): Promise<void> {
  if (plan.seconds <= 0) return;
  const load = await runLoad({
    label: `${label}, ${plan.concurrency} concurrent`,
    concurrency: plan.concurrency,
    seconds: plan.seconds,
    signal,
    operation: async (_worker, index) => {
      await signIn(client, personaFor(index));
    },
  });
  if (load.errors > 0)
    throw new Error(
      `${load.errors} sign-ins failed during the warm-up: ${load.errorSamples.map((sample) => sample.message).join('; ')}`,
    );
}

/** What a service spends each second once warm with nothing asked of it. */
export interface IdleCost {
  cpuMsPerSecond: number;
  /** null when the service does not count its statements. */
  statementsPerSecond: number | null;
}

/**
 * Each service's CPU and SQL statements while nothing is asked of it: its timers and polls (the
 * client-registry check, the broker's logout outbox, the metrics' event-loop sampling). /proc counts
 * in ticks of 10 ms, so over the default 10 s the CPU is good to about 1 ms/s. These run during the
 * phases too, inside each one's cost per sign-in.
 */
export async function idlePhase(
  seconds: number,
  snapshot: () => Promise<Snapshot>,
  signal: AbortSignal,
): Promise<Record<ServiceName, IdleCost>> {
  const before = await snapshot();
  await delay(seconds * 1000, undefined, { signal });
  // The cost per second: the same differences as a phase's cost per operation, over the seconds.
  const { services } = costPerOperation(before, await snapshot(), seconds);
  return Object.fromEntries(
    (Object.keys(services) as ServiceName[]).map((name) => [
      name,
      {
        cpuMsPerSecond: services[name].cpuMsPerOperation,
        statementsPerSecond: services[name].statementsPerOperation,
      },
    ]),
  ) as Record<ServiceName, IdleCost>;
}

/** `/interaction/Xy3…/callback` → `/interaction/<id>/callback`: the ids oidc-provider and the mock make. */
function requestName(method: string, url: string): string {
  const path = new URL(url).pathname.replace(/\/[A-Za-z0-9_-]{16,}(?=\/|$)/g, '/<id>');
  return `${method} ${path}`;
}

/**
 * Reads the broker's CPU (/proc, all threads) before and after each request made to it. Meaningful
 * with one sign-in at a time, when nothing else of the benchmark runs meanwhile; /proc counts in
 * ticks of 10 ms, so a request's figure is an average over the phase's many.
 */
export function brokerCpuByRequest(broker: { url: string; pid: number }) {
  const totals = new Map<string, { count: number; cpuMs: number }>();
  const observe: RequestObserver = async ({ method, url }, send) => {
    if (!url.startsWith(broker.url)) return send();
    const before = cpuMilliseconds(broker.pid);
    const answer = await send();
    const name = requestName(method, url);
    const total = totals.get(name) ?? { count: 0, cpuMs: 0 };
    total.count += 1;
    total.cpuMs += cpuMilliseconds(broker.pid) - before;
    totals.set(name, total);
    return answer;
  };
  const perSignIn = (signIns: number): RequestCost[] =>
    [...totals].map(([request, total]) => ({
      request,
      perSignIn: Number((total.count / signIns).toFixed(2)),
      cpuMsPerSignIn: Number((total.cpuMs / signIns).toFixed(2)),
    }));
  return { observe, perSignIn };
}

/** The counts and latencies of a sign-in phase at `concurrency`, from its load's result. */
export function signInLoad(concurrency: number, load: LoadResult): SignInLoad {
  return {
    concurrency,
    signIns: load.completed,
    errors: load.errors,
    errorSamples: load.errorSamples,
    wallSeconds: Number(load.wallSeconds.toFixed(2)),
    signInsPerSecond: perSecond(load.completed, load.wallSeconds),
    latencyMs: latency(load.latenciesMs),
  };
}

/**
 * Counts the instructions of each process while `during` runs; answers them in millions per
 * operation (null where perf cannot count, see instructions.ts).
 */
export async function millionInstructionsPer<Name extends string, Result>(
  processes: ReadonlyArray<{ name: Name; pid: number }>,
  during: () => Promise<Result>,
  operations: (result: Result) => number,
): Promise<{ result: Result; perOperation: Record<Name, number | null> }> {
  const counts = await Promise.all(processes.map((target) => countInstructions(target.pid)));
  const stopCounting = () => Promise.all(counts.map((count) => count.stop()));
  let result: Result;
  try {
    result = await during();
  } catch (error) {
    // No perf process outlives a phase that failed.
    await stopCounting();
    throw error;
  }
  const totals = await stopCounting();
  const done = operations(result);
  const perOperation = Object.fromEntries(
    processes.map((target, index) => {
      const total = totals[index] ?? null;
      return [target.name, total === null || done === 0 ? null : Number((total / done / 1e6).toFixed(2))];
    }),
  ) as Record<Name, number | null>;
  return { result, perOperation };
}

export async function signInPhase(
  client: BrokerClient,
  concurrency: number,
  seconds: number,
  snapshot: () => Promise<Snapshot>,
  signal: AbortSignal,
  services: ReadonlyArray<{ name: ServiceName; pid: number }>,
  broker?: { url: string; pid: number },
): Promise<SignInPhase> {
  const byRequest = broker && concurrency === 1 ? brokerCpuByRequest(broker) : undefined;
  const counted = await millionInstructionsPer(
    services,
    () =>
      measuredLoad(snapshot, {
        label: `sign-ins, ${concurrency} concurrent`,
        concurrency,
        seconds,
        signal,
        operation: async (_worker, index) => {
          await signIn(client, personaFor(index), { observe: byRequest?.observe });
        },
      }),
    ({ load }) => load.completed,
  );
  const { load, cost } = counted.result;
  return {
    ...(byRequest && load.completed > 0 ? { brokerCpuByRequest: byRequest.perSignIn(load.completed) } : {}),
    ...signInLoad(concurrency, load),
    services: cost.services,
    millionInstructionsPerSignIn: counted.perOperation,
    databaseBytesPerSignIn: cost.databaseBytesPerOperation,
  };
}

/** A load between two snapshots: what it did, and what it cost each service per operation. */
async function measuredLoad(snapshot: () => Promise<Snapshot>, load: Parameters<typeof runLoad>[0]) {
  const before = await snapshot();
  const result = await runLoad(load);
  return { load: result, cost: costPerOperation(before, await snapshot(), result.completed) };
}

/** Each client signs in once with offline_access (which needs prompt=consent), then rotates its own token. */
export async function refreshPhase(
  client: BrokerClient,
  concurrency: number,
  seconds: number,
  snapshot: () => Promise<Snapshot>,
  signal: AbortSignal,
  broker: { pid: number },
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
      brokerMillionInstructionsPerGrant: null,
      brokerDatabaseBytesPerGrant: null,
    };
  }
  const refreshTokens = setup.map((outcome) =>
    outcome.status === 'fulfilled' ? (outcome.value.refreshToken ?? '') : '',
  );
  const counted = await millionInstructionsPer(
    [{ name: 'broker', pid: broker.pid }],
    () =>
      measuredLoad(snapshot, {
        label: `refresh grants, ${concurrency} concurrent`,
        concurrency,
        seconds,
        signal,
        operation: async (worker) => {
          refreshTokens[worker] = await refresh(client, refreshTokens[worker] ?? '');
        },
      }),
    ({ load }) => load.completed,
  );
  const { load, cost } = counted.result;
  return {
    concurrency,
    grants: load.completed,
    errors: load.errors,
    errorSamples: load.errorSamples,
    wallSeconds: Number(load.wallSeconds.toFixed(2)),
    grantsPerSecond: perSecond(load.completed, load.wallSeconds),
    latencyMs: latency(load.latenciesMs),
    broker: cost.services.broker,
    brokerMillionInstructionsPerGrant: counted.perOperation.broker,
    brokerDatabaseBytesPerGrant: cost.databaseBytesPerOperation.broker ?? null,
  };
}
