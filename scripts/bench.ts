// `npm run bench`: starts the three services as child processes on a scratch database, drives complete
// federated sign-ins (a browser plus the confidential `cqrs-app` client) at several concurrencies for
// a fixed time each, then refresh grants, and reports throughput, latency, errors, CPU, SQL
// statements, memory and database growth per operation, and start-up time. Then, with the services
// stopped, the same sign-ins against a bare oidc-provider pair (scripts/bench/floor/): the floor on
// this machine in this run, for the real services' CPU to be read against. `--help` lists the options.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { dataDirectory } from '../shared/config.ts';
import { type FloorResult, floorConcurrency, floorPhase } from './bench/floor/phase.ts';
import { type Floor, startFloor } from './bench/floor/start.ts';
import { type BenchOptions, parseOptions, type ServiceName, UsageError, usage } from './bench/options.ts';
import { type ProfileSummary, profileClock, summariseProfile } from './bench/profile.ts';
import { writeReport } from './bench/report.ts';
import {
  firstSignIns,
  idlePhase,
  refreshPhase,
  signInPhase,
  type WarmUpPlan,
  warmUpLoad,
} from './bench/phases.ts';
import { type BenchResult, checkTargets, type SignInPhase } from './bench/result.ts';
import { type Services, startServices } from './bench/services.ts';
import { requestedScope, seededClient } from './bench/signIn.ts';
import { takeSnapshot } from './bench/snapshot.ts';
import {
  createScratchSchema,
  dropScratchSchema,
  postgresSizeProbe,
  type SizeProbe,
  sqliteSizeProbe,
} from './bench/storage.ts';

const root = path.join(import.meta.dirname, '..');
/** How long the services are left alone, once warm, to read what they spend doing nothing. */
const idleSeconds = 10;

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

/** The same for the services and the floor: a few sign-ins, then `--warm-up-seconds` at the floor's concurrency. */
function warmUpPlan(options: BenchOptions): WarmUpPlan {
  return {
    signIns: options.quick ? 1 : 4,
    seconds: options.warmUpSeconds,
    concurrency: floorConcurrency(options.concurrencies),
  };
}

async function measure(
  options: BenchOptions,
  warmUp: WarmUpPlan,
  services: Services,
  metricsToken: string,
  probes: Partial<Record<ServiceName, SizeProbe>>,
  signal: AbortSignal,
) {
  const client = seededClient(services.broker.url, services.app.url);
  const snapshot = () => takeSnapshot(services.all, metricsToken, probes);
  await firstSignIns(client, warmUp.signIns);
  // Idle is read before the warm-up's load: a process just off a load goes on collecting garbage
  // and compiling for some seconds, which is not what it spends with nothing to do.
  const idle = await idlePhase(options.quick ? 1 : idleSeconds, snapshot, signal);
  await warmUpLoad(client, warmUp, signal);
  const from = profileClock();
  const signIns: SignInPhase[] = [];
  for (const concurrency of options.concurrencies) {
    signIns.push(
      await signInPhase(
        client,
        concurrency,
        options.seconds,
        snapshot,
        signal,
        services.all,
        services.broker,
      ),
    );
  }
  const refresh = await refreshPhase(
    client,
    options.refreshConcurrency,
    options.refreshSeconds,
    snapshot,
    signal,
    services.broker,
  );
  const to = profileClock();
  const { databases } = await snapshot();
  return { idle, signIns, refresh, databases, profileWindow: { from, to } };
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseOptions(process.argv.slice(2), process.env, root);
  } catch (error) {
    if (!(error instanceof UsageError) && !(error instanceof TypeError)) throw error;
    process.stderr.write(`${error.message}\n\n${usage}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const startedAt = new Date().toISOString();
  const loadAverageAtStart = os.loadavg();
  await mkdir(options.outDir, { recursive: true });
  // Below the data folder (DATA_DIR, else ./data): the disk SQLite uses in earnest, where /tmp may be RAM.
  await mkdir(dataDirectory(process.env), { recursive: true });
  const dataDir = await mkdtemp(path.join(dataDirectory(process.env), 'bench-'));
  const warmUp = warmUpPlan(options);
  const metricsToken = randomBytes(24).toString('hex');
  const schema = options.databaseUrl ? `bench_${randomBytes(6).toString('hex')}` : undefined;
  const profileDir = path.join(options.outDir, 'profile');
  const logFile = path.join(options.outDir, 'services.log');
  if (options.databaseUrl && schema) await createScratchSchema(options.databaseUrl, schema);

  let services: Services | undefined;
  let floor: Floor | undefined;
  let floorResult: FloorResult | null = null;
  const probes: Partial<Record<ServiceName, SizeProbe>> = {};
  let measured: Awaited<ReturnType<typeof measure>> | undefined;
  let profile: ProfileSummary | undefined;
  const cleanUp = async () => {
    await Promise.all(Object.values(probes).map((probe) => probe.close()));
    await services?.stop();
    await floor?.stop();
    if (options.databaseUrl && schema) await dropScratchSchema(options.databaseUrl, schema);
    await rm(dataDir, { recursive: true, force: true });
  };
  // Ctrl-C: no new operation starts; the run ends as after a failure, services stopped and the
  // scratch database removed, without a report.
  const interruption = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\nInterrupted; stopping the services…\n');
    interruption.abort();
  });
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
      logFile,
      signal: interruption.signal,
    });
    process.stdout.write(
      `Services up in ${services.all.map((service) => `${service.name} ${Math.round(service.startupMs)} ms`).join(', ')}\n`,
    );
    probes.broker =
      options.databaseUrl && schema
        ? postgresSizeProbe(options.databaseUrl, schema)
        : sqliteSizeProbe(path.join(dataDir, 'broker.sqlite'));
    probes['mock-idp'] = sqliteSizeProbe(path.join(dataDir, 'mock-idp.sqlite'));
    measured = await measure(options, warmUp, services, metricsToken, probes, interruption.signal);
    if (options.floor) {
      // The services stop first, so that the bare pair has the machine as they had it.
      await services.stop();
      floor = await startFloor({ root, logFile, signal: interruption.signal });
      process.stdout.write(
        `Floor up in bare-upstream ${Math.round(floor.upstream.startupMs)} ms, bare-broker ${Math.round(floor.broker.startupMs)} ms\n`,
      );
      const concurrency = floorConcurrency(options.concurrencies);
      floorResult = await floorPhase(floor, {
        concurrency,
        seconds: options.seconds,
        warmUp,
        phases: measured.signIns.map((phase) => phase.concurrency),
        reference: measured.signIns.find((phase) => phase.concurrency === concurrency),
        oneAtATimeReference: measured.signIns.find((phase) => phase.brokerCpuByRequest),
        signal: interruption.signal,
      });
    }
  } catch (error) {
    if (interruption.signal.aborted) return 130;
    // No stack trace for a failed run: what failed, and where the services said why.
    process.stderr.write(
      `\nThe benchmark stopped: ${(error as Error).message}\nThe services' log: ${logFile}\n`,
    );
    return 1;
  } finally {
    await cleanUp();
  }
  if (interruption.signal.aborted) return 130;
  if (options.profile)
    profile = await summariseProfile(profileDir, options.profile, root, measured.profileWindow);

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
      warmUpSeconds: warmUp.seconds,
      warmUpConcurrency: warmUp.concurrency,
      seconds: options.seconds,
      refreshSeconds: options.refreshSeconds,
      quick: options.quick,
      scope: requestedScope,
    },
    databasesAtEnd: measured.databases,
    startupMs: Object.fromEntries(
      services.all.map((service) => [service.name, Math.round(service.startupMs)]),
    ) as Record<ServiceName, number>,
    idle: measured.idle,
    signIns: measured.signIns,
    refresh: measured.refresh,
    targets: checkTargets(measured.signIns, measured.refresh),
    profile,
    floor: floorResult,
  };
  const files = await writeReport(options.outDir, result);
  printSummary(result, options.outDir, files);
  const errors = result.signIns.reduce(
    (sum, phase) => sum + phase.errors,
    result.refresh.errors + (result.floor?.errors ?? 0),
  );
  return errors > 0 ? 1 : 0;
}

function printSummary(result: BenchResult, outDir: string, files: string[]): void {
  const lines = [`\nReport written to ${outDir}`, ...files.map((file) => `  ${file}`), ''];
  for (const phase of result.signIns) {
    const { broker, 'mock-idp': mock } = phase.services;
    lines.push(
      `  ${String(phase.concurrency).padStart(3)} concurrent: ${phase.signInsPerSecond} sign-ins/s, p99 ${phase.latencyMs.p99 ?? 'n/a'} ms, ${phase.errors} errors; per sign-in: broker ${broker.cpuMsPerOperation} CPU-ms, ${broker.statementsPerOperation ?? 'n/a'} SQL; mock ${mock.cpuMsPerOperation} CPU-ms, ${mock.statementsPerOperation ?? 'n/a'} SQL`,
    );
  }
  lines.push(`  refresh: ${result.refresh.grantsPerSecond} grants/s, ${result.refresh.errors} errors`);
  lines.push(
    `  idle: ${Object.entries(result.idle)
      .map(
        ([name, cost]) =>
          `${name} ${cost.cpuMsPerSecond} CPU-ms and ${cost.statementsPerSecond ?? 'n/a'} SQL a second`,
      )
      .join(', ')}`,
  );
  const { floor } = result;
  if (floor) {
    const ratio = (value: number | null) => (value === null ? 'n/a' : `${value}×`);
    lines.push(
      `  floor, ${floor.concurrency} concurrent: ${floor.signInsPerSecond} sign-ins/s, p99 ${floor.latencyMs.p99 ?? 'n/a'} ms, ${floor.errors} errors; per sign-in: bare broker ${floor.services['bare-broker'].cpuMsPerOperation} CPU-ms, bare upstream ${floor.services['bare-upstream'].cpuMsPerOperation} CPU-ms`,
      `  CPU per sign-in over the floor's: broker ${ratio(floor.cpuRatio.broker)}, mock ${ratio(floor.cpuRatio['mock-idp'])}`,
      `  instructions per sign-in over the floor's: broker ${ratio(floor.instructionRatio.broker)}, mock ${ratio(floor.instructionRatio['mock-idp'])}`,
    );
    if (floor.oneAtATime)
      lines.push(
        `  one sign-in at a time, broker CPU over the bare broker's: ${ratio(floor.oneAtATime.cpuRatio)}`,
      );
  }
  lines.push('');
  process.stdout.write(lines.join('\n'));
}

process.exitCode = await main();
