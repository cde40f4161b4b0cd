// `npm run bench`: starts the three services as child processes on a scratch database, drives complete
// federated sign-ins (a browser plus the confidential `cqrs-app` client) at several concurrencies for
// a fixed time each, then refresh grants, and reports throughput, latency, errors, CPU, SQL
// statements, memory and database growth per operation, and start-up time. `--help` lists the options.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { percentile, runLoad } from './bench/load.ts';
import { type BenchOptions, parseOptions, type ServiceName, UsageError } from './bench/options.ts';
import { type ProfileSummary, summariseProfile } from './bench/profile.ts';
import { writeReport } from './bench/report.ts';
import {
  type BenchResult,
  checkTargets,
  type Latency,
  type RefreshPhase,
  type SignInPhase,
} from './bench/result.ts';
import { type Services, startServices } from './bench/services.ts';
import { requestedScope, refresh, seededClient, signIn } from './bench/signIn.ts';
import { costPerOperation, takeSnapshot } from './bench/snapshot.ts';
import {
  createScratchSchema,
  dropScratchSchema,
  postgresSizeProbe,
  type SizeProbe,
  sqliteSizeProbe,
} from './bench/storage.ts';

const root = path.join(import.meta.dirname, '..');
// The two seeded personas that reach the message centre; tom.jones has three organisations.
const personas = ['jane.smith@nhs.net', 'tom.jones@nhs.net'];
const warmUpSignIns = 4;

function latency(samples: number[]): Latency {
  const at = (quantile: number) => {
    const value = percentile(samples, quantile);
    return value === null ? null : Math.round(value);
  };
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1) };
}

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

async function measure(
  options: BenchOptions,
  services: Services,
  metricsToken: string,
  probes: Partial<Record<ServiceName, SizeProbe>>,
) {
  const client = seededClient(services.broker.url, services.app.url);
  const snapshot = () => takeSnapshot(services.all, metricsToken, probes);
  // Warm-up (not measured): JIT, upstream discovery and key caches. A failure here means the bench
  // cannot sign in at all, so it stops with the reason.
  const warmUps = options.quick ? 1 : warmUpSignIns;
  for (let index = 0; index < warmUps; index += 1)
    await signIn(client, personas[index % personas.length] ?? '');

  const signIns: SignInPhase[] = [];
  for (const concurrency of options.concurrencies) {
    const before = await snapshot();
    const load = await runLoad({
      label: `sign-ins, ${concurrency} concurrent`,
      concurrency,
      seconds: options.seconds,
      operation: async (_worker, index) => {
        await signIn(client, personas[index % personas.length] ?? '');
      },
    });
    const cost = costPerOperation(before, await snapshot(), load.completed);
    signIns.push({
      concurrency,
      signIns: load.completed,
      errors: load.errors,
      errorSamples: load.errorSamples,
      wallSeconds: Number(load.wallSeconds.toFixed(2)),
      signInsPerSecond: Number((load.completed / load.wallSeconds).toFixed(1)),
      latencyMs: latency(load.latenciesMs),
      services: cost.services,
      databaseBytesPerSignIn: cost.databaseBytesPerOperation,
    });
  }

  // One refresh token per client (offline_access needs prompt=consent), each rotated by its own worker.
  const refreshTokens = await Promise.all(
    Array.from({ length: options.refreshConcurrency }, async (_unused, index) => {
      const tokens = await signIn(client, personas[index % personas.length] ?? '', { offlineAccess: true });
      return tokens.refreshToken ?? '';
    }),
  );
  const before = await snapshot();
  const load = await runLoad({
    label: `refresh grants, ${options.refreshConcurrency} concurrent`,
    concurrency: options.refreshConcurrency,
    seconds: options.refreshSeconds,
    operation: async (worker) => {
      refreshTokens[worker] = await refresh(client, refreshTokens[worker] ?? '');
    },
  });
  const cost = costPerOperation(before, await snapshot(), load.completed);
  const refreshPhase: RefreshPhase = {
    concurrency: options.refreshConcurrency,
    grants: load.completed,
    errors: load.errors,
    errorSamples: load.errorSamples,
    wallSeconds: Number(load.wallSeconds.toFixed(2)),
    grantsPerSecond: Number((load.completed / load.wallSeconds).toFixed(1)),
    latencyMs: latency(load.latenciesMs),
    broker: cost.services.broker,
    brokerDatabaseBytesPerGrant: cost.databaseBytesPerOperation.broker ?? 0,
  };
  return { signIns, refresh: refreshPhase };
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseOptions(process.argv.slice(2), process.env, root);
  } catch (error) {
    if (!(error instanceof UsageError) && !(error instanceof TypeError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 2;
  }
  const startedAt = new Date().toISOString();
  const loadAverageAtStart = os.loadavg();
  await mkdir(options.outDir, { recursive: true });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cqrs-bench-'));
  const metricsToken = randomBytes(24).toString('hex');
  const schema = options.databaseUrl ? `bench_${randomBytes(6).toString('hex')}` : undefined;
  const profileDir = path.join(options.outDir, 'profile');
  if (options.databaseUrl && schema) await createScratchSchema(options.databaseUrl, schema);

  let services: Services | undefined;
  const probes: Partial<Record<ServiceName, SizeProbe>> = {};
  let measured: Awaited<ReturnType<typeof measure>> | undefined;
  let profile: ProfileSummary | undefined;
  try {
    services = await startServices({
      root,
      dataDir,
      metricsToken,
      brokerDatabase: options.databaseUrl && schema ? { url: options.databaseUrl, schema } : undefined,
      nodeFlags: options.profile
        ? {
            [options.profile]: [
              '--cpu-prof',
              `--cpu-prof-dir=${profileDir}`,
              `--cpu-prof-name=${options.profile}.cpuprofile`,
            ],
          }
        : {},
      logFile: path.join(options.outDir, 'services.log'),
    });
    process.stdout.write(
      `Services up in ${services.all.map((service) => `${service.name} ${Math.round(service.startupMs)} ms`).join(', ')}\n`,
    );
    probes.broker =
      options.databaseUrl && schema
        ? postgresSizeProbe(options.databaseUrl, schema)
        : sqliteSizeProbe(path.join(dataDir, 'broker.sqlite'));
    probes['mock-idp'] = sqliteSizeProbe(path.join(dataDir, 'mock-idp.sqlite'));
    measured = await measure(options, services, metricsToken, probes);
  } finally {
    await Promise.all(Object.values(probes).map((probe) => probe.close()));
    await services?.stop();
    if (options.databaseUrl && schema) await dropScratchSchema(options.databaseUrl, schema);
    await rm(dataDir, { recursive: true, force: true });
  }
  if (options.profile) profile = await summariseProfile(profileDir, options.profile, root);

  const result: BenchResult = {
    startedAt,
    environment: {
      node: process.versions.node,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
      loadAverageAtStart: loadAverageAtStart.map((value) => Number(value.toFixed(2))),
      loadAverageAtEnd: os.loadavg().map((value) => Number(value.toFixed(2))),
      commit: gitCommit(),
      brokerDatabase: options.databaseUrl ? 'postgresql' : 'sqlite',
    },
    settings: {
      seconds: options.seconds,
      refreshSeconds: options.refreshSeconds,
      quick: options.quick,
      scope: requestedScope,
    },
    startupMs: Object.fromEntries(
      services.all.map((service) => [service.name, Math.round(service.startupMs)]),
    ) as Record<ServiceName, number>,
    signIns: measured.signIns,
    refresh: measured.refresh,
    targets: checkTargets(measured.signIns, measured.refresh),
    profile,
  };
  const files = await writeReport(options.outDir, result);
  process.stdout.write(
    `\nReport written to ${options.outDir}\n${files.map((file) => `  ${file}`).join('\n')}\n\n`,
  );
  for (const phase of result.signIns) {
    process.stdout.write(
      `  ${String(phase.concurrency).padStart(3)} concurrent: ${phase.signInsPerSecond} sign-ins/s, p99 ${phase.latencyMs.p99 ?? 'n/a'} ms, ${phase.errors} errors, broker ${phase.services.broker.cpuMsPerOperation} CPU-ms / ${phase.services.broker.statementsPerOperation ?? 'n/a'} SQL, mock ${phase.services['mock-idp'].cpuMsPerOperation} CPU-ms / ${phase.services['mock-idp'].statementsPerOperation ?? 'n/a'} SQL per sign-in\n`,
    );
  }
  process.stdout.write(
    `  refresh: ${result.refresh.grantsPerSecond} grants/s, ${result.refresh.errors} errors\n`,
  );
  const errors = result.signIns.reduce((sum, phase) => sum + phase.errors, result.refresh.errors);
  return errors > 0 ? 1 : 0;
}

process.exitCode = await main();
