// The shape of a benchmark run as written to results.json, and the sign-in targets checked
// against the 10-concurrent phase (or the phase nearest to it).
import type { FloorResult } from './floor/phase.ts';
import type { ServiceName } from './options.ts';
import type { IdleCost } from './phases.ts';
import type { ProfileSummary } from './profile.ts';
import type { ServiceCost } from './snapshot.ts';
import type { DatabaseSize } from './storage.ts';

export interface Latency {
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

/** What any phase of sign-ins reports, the services' and the bare-library floor's alike. */
export interface SignInLoad {
  concurrency: number;
  signIns: number;
  errors: number;
  errorSamples: Array<{ message: string; count: number }>;
  wallSeconds: number;
  signInsPerSecond: number;
  latencyMs: Latency;
}

export interface SignInPhase extends SignInLoad {
  /** Per sign-in, for each service; statements null when the service does not count them. */
  services: Record<ServiceName, ServiceCost>;
  /** Millions of instructions per sign-in for each service, by perf; null where perf cannot count. */
  millionInstructionsPerSignIn: Record<ServiceName, number | null>;
  databaseBytesPerSignIn: Partial<Record<ServiceName, number>>;
  /** One sign-in at a time only: the broker's CPU by the request the browser or client made. */
  brokerCpuByRequest?: RequestCost[];
}

export interface RequestCost {
  /** Method and path, ids replaced by `<id>` (`GET /interaction/<id>/callback`). */
  request: string;
  /** How many such requests a sign-in makes. */
  perSignIn: number;
  /** The broker's CPU during them, per sign-in. */
  cpuMsPerSignIn: number;
}

/** The CPU of every request of a sign-in, per sign-in: the sum of `costs`. */
export function cpuMsOfRequests(costs: readonly RequestCost[] | undefined): number {
  return (costs ?? []).reduce((sum, row) => sum + row.cpuMsPerSignIn, 0);
}

export interface RefreshPhase {
  concurrency: number;
  grants: number;
  errors: number;
  errorSamples: Array<{ message: string; count: number }>;
  wallSeconds: number;
  grantsPerSecond: number;
  latencyMs: Latency;
  /** null when no grant could be made (see errorSamples). */
  broker: ServiceCost | null;
  /** Millions of instructions the broker executed per grant, by perf; null where perf cannot count. */
  brokerMillionInstructionsPerGrant: number | null;
  brokerDatabaseBytesPerGrant: number | null;
}

export interface Target {
  name: string;
  limit: string;
  measured: string;
  /** null when it could not be measured (e.g. a service without `db_statements_total`). */
  met: boolean | null;
}

export interface BenchResult {
  startedAt: string;
  environment: {
    node: string;
    cpus: number;
    cpuModel: string;
    loadAverageAtStart: number[];
    loadAverageAtEnd: number[];
    commit: string | undefined;
    brokerDatabase: 'sqlite' | 'postgresql';
  };
  settings: {
    /** Seconds of unmeasured sign-ins at `warmUpConcurrency` before the first phase (after four one at a time). */
    warmUpSeconds: number;
    warmUpConcurrency: number;
    seconds: number;
    refreshSeconds: number;
    quick: boolean;
    scope: string;
  };
  startupMs: Record<ServiceName, number>;
  /** What each service spends a second once warm with nothing asked of it (idlePhase). */
  idle: Record<ServiceName, IdleCost>;
  /** What each measured database holds after the run: live bytes, and its files (SQLite: with -wal). */
  databasesAtEnd: Partial<Record<ServiceName, DatabaseSize>>;
  signIns: SignInPhase[];
  refresh: RefreshPhase;
  targets: Target[];
  profile: ProfileSummary | undefined;
  /** The bare-library pair measured after the services (scripts/bench/floor/); null with --no-floor. */
  floor: FloorResult | null;
}

const format = (value: number | null, unit: string) => (value === null ? 'n/a' : `${value} ${unit}`);
const atMost = (value: number | null, limit: number) => (value === null ? null : value <= limit);

export function checkTargets(signIns: SignInPhase[], refresh: RefreshPhase): Target[] {
  const reference = [...signIns].sort(
    (a, b) => Math.abs(a.concurrency - 10) - Math.abs(b.concurrency - 10),
  )[0];
  if (!reference) return [];
  const at = `at ${reference.concurrency} concurrent`;
  const broker = reference.services.broker;
  const mock = reference.services['mock-idp'];
  const brokerBytes = reference.databaseBytesPerSignIn.broker ?? null;
  return [
    {
      name: `broker CPU per sign-in ${at}`,
      limit: '≤ 9 ms',
      measured: format(broker.cpuMsPerOperation, 'ms'),
      met: atMost(broker.cpuMsPerOperation, 9),
    },
    {
      name: `broker SQL statements per sign-in ${at}`,
      limit: '≤ 12',
      measured: format(broker.statementsPerOperation, ''),
      met: atMost(broker.statementsPerOperation, 12),
    },
    {
      name: `mock CPU per sign-in ${at}`,
      limit: '≤ 50 ms',
      measured: format(mock.cpuMsPerOperation, 'ms'),
      met: atMost(mock.cpuMsPerOperation, 50),
    },
    {
      name: `mock SQL statements per sign-in ${at}`,
      limit: '≤ 10',
      measured: format(mock.statementsPerOperation, ''),
      met: atMost(mock.statementsPerOperation, 10),
    },
    {
      name: `p99 latency ${at}`,
      limit: '≤ 500 ms',
      measured: format(reference.latencyMs.p99, 'ms'),
      met: atMost(reference.latencyMs.p99, 500),
    },
    { name: `errors ${at}`, limit: '0', measured: String(reference.errors), met: reference.errors === 0 },
    {
      name: 'refresh grants per second',
      limit: '≥ 500/s',
      measured: `${refresh.grantsPerSecond}/s`,
      met: refresh.grantsPerSecond >= 500,
    },
    {
      name: `broker database per sign-in ${at}`,
      limit: '≤ 4096 B',
      measured: format(brokerBytes, 'B'),
      met: atMost(brokerBytes, 4096),
    },
  ].map((target) => ({ ...target, measured: target.measured.trim() }));
}
