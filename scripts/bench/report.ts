// Writes a run as results.json, report.md and chart.svg into the report folder.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { renderChart } from './chart.ts';
import { serviceNames } from './options.ts';
import { type BenchResult, cpuMsOfRequests } from './result.ts';
import type { FloorResult } from './floor/phase.ts';

const show = (value: number | null | undefined, digits = 0) =>
  value === null || value === undefined ? 'n/a' : value.toFixed(digits);

/**
 * Throughput and latency mean little on a machine already busy with other work; say so. Judged by
 * the load when the run started: by its end the bench's own processes count in the load average.
 */
function busyMachineNote(result: BenchResult): string[] {
  const { cpus, loadAverageAtStart } = result.environment;
  const load = loadAverageAtStart[0] ?? 0;
  if (load <= cpus) return [];
  return [
    '',
    `**The machine was busy** (1-minute load average ${load.toFixed(1)} on ${cpus} CPUs when the run started):`,
    'sign-ins/s and latency include waiting for other processes. CPU-ms and SQL statements per operation',
    'are the comparable figures.',
  ];
}

/** The bare pair beside the services' phase at the same concurrency, and the ratio of their CPU. */
function floorSection(result: BenchResult): string[] {
  const { floor } = result;
  if (!floor) return [];
  const real = result.signIns.find((phase) => phase.concurrency === floor.concurrency);
  const bareBroker = floor.services['bare-broker'];
  const bareUpstream = floor.services['bare-upstream'];
  const ratio = (value: number | null) => (value === null ? 'n/a' : `${value.toFixed(2)}×`);
  return [
    '',
    '## Bare-library floor on this machine, same run',
    '',
    'A bare oidc-provider broker federating to a bare oidc-provider upstream (`scripts/bench/floor/`:',
    'in-memory store, development keys, unsigned cookies, argon2id at the OWASP parameters upstream, openid-client in the',
    `broker), driven by the same browser and client once the services had stopped. It ran the services' phases in their order (${floor.phasesRun.join(', ')} concurrent, ${result.settings.seconds} s each),`,
    `so that both sides are measured with the same history behind them, and is measured at ${floor.concurrency} concurrent`,
    'and, when the run has one, one sign-in at a time. The targets were set against this pair; CPU-ms',
    'from another day or machine do not compare, the ratio within one run does.',
    '',
    `| at ${floor.concurrency} concurrent | sign-ins | errors | sign-ins/s | p99 ms | broker CPU-ms | upstream CPU-ms | broker M instructions | upstream M instructions |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    real
      ? `| broker + mock | ${real.signIns} | ${real.errors} | ${real.signInsPerSecond} | ${show(real.latencyMs.p99)} | ${show(real.services.broker.cpuMsPerOperation, 1)} | ${show(real.services['mock-idp'].cpuMsPerOperation, 1)} | ${show(real.millionInstructionsPerSignIn.broker, 2)} | ${show(real.millionInstructionsPerSignIn['mock-idp'], 2)} |`
      : `| broker + mock | n/a | n/a | n/a | n/a | n/a | n/a | n/a | n/a |`,
    `| bare broker + bare upstream | ${floor.signIns} | ${floor.errors} | ${floor.signInsPerSecond} | ${show(floor.latencyMs.p99)} | ${show(bareBroker.cpuMsPerOperation, 1)} | ${show(bareUpstream.cpuMsPerOperation, 1)} | ${show(floor.millionInstructionsPerSignIn['bare-broker'], 2)} | ${show(floor.millionInstructionsPerSignIn['bare-upstream'], 2)} |`,
    '',
    `Broker CPU per sign-in / bare broker CPU per sign-in: **${ratio(floor.cpuRatio.broker)}**; mock / bare upstream: **${ratio(floor.cpuRatio['mock-idp'])}**.`,
    `In instructions per sign-in (perf; n/a where it cannot count here), which other work on the machine moves less: broker / bare broker **${ratio(floor.instructionRatio.broker)}**; mock / bare upstream **${ratio(floor.instructionRatio['mock-idp'])}**.`,
    `The bare pair started in ${floor.startupMs['bare-upstream']} ms (upstream) and ${floor.startupMs['bare-broker']} ms (broker); RSS after the phase ${show(bareBroker.rssMiB, 1)} and ${show(bareUpstream.rssMiB, 1)} MiB.`,
    ...floorByRequest(floor, ratio),
  ];
}

/** The bare broker's CPU by request, one sign-in at a time, when the run measured it. */
function floorByRequest(floor: FloorResult, ratio: (value: number | null) => string): string[] {
  const { oneAtATime } = floor;
  if (!oneAtATime) return [];
  const total = cpuMsOfRequests(oneAtATime.brokerCpuByRequest);
  return [
    '',
    `One sign-in at a time for ${oneAtATime.signIns} sign-ins, measured as the broker's by request above:`,
    '',
    '| bare broker request | per sign-in | bare broker CPU-ms per sign-in |',
    '|---|---:|---:|',
    ...oneAtATime.brokerCpuByRequest.map(
      (row) => `| \`${row.request}\` | ${row.perSignIn} | ${row.cpuMsPerSignIn.toFixed(2)} |`,
    ),
    `| all requests to the bare broker | | ${total.toFixed(2)} |`,
    '',
    `Broker CPU per sign-in / bare broker CPU per sign-in, one at a time: **${ratio(oneAtATime.cpuRatio)}**.`,
  ];
}

/** Millions of instructions per sign-in for each service, when perf could count them. */
function instructionsSection(result: BenchResult): string[] {
  if (
    result.signIns.every((phase) =>
      serviceNames.every((name) => phase.millionInstructionsPerSignIn[name] === null),
    )
  )
    return ['Instructions per sign-in: n/a (`perf stat` cannot count instructions on this machine).', ''];
  return [
    '| concurrent | broker M instructions | mock M instructions | app M instructions |',
    '|---:|---:|---:|---:|',
    ...result.signIns.map((phase) => {
      const counts = phase.millionInstructionsPerSignIn;
      return `| ${phase.concurrency} | ${show(counts.broker, 2)} | ${show(counts['mock-idp'], 2)} | ${show(counts['cqrs-app'], 2)} |`;
    }),
    '',
    "Millions of instructions each service executed per sign-in (all threads, as `perf stat -p` counts them). Other work on a shared machine moves a service's CPU-ms far more than its instruction count.",
    '',
  ];
}

/** Where the broker's CPU goes in a sign-in, request by request, from the one-at-a-time phase. */
function byRequestSection(result: BenchResult): string[] {
  const phase = result.signIns.find((candidate) => candidate.brokerCpuByRequest);
  const rows = phase?.brokerCpuByRequest ?? [];
  if (!phase || rows.length === 0) return [];
  const total = cpuMsOfRequests(rows);
  return [
    '## Broker CPU by request, one sign-in at a time',
    '',
    '| request | per sign-in | broker CPU-ms per sign-in |',
    '|---|---:|---:|',
    ...rows.map((row) => `| \`${row.request}\` | ${row.perSignIn} | ${row.cpuMsPerSignIn.toFixed(2)} |`),
    `| all requests to the broker | | ${total.toFixed(2)} |`,
    '',
    `The broker's CPU (/proc, all threads) read before and after each request the browser or the client made to it, in the ${phase.concurrency}-concurrent phase, where one request runs at a time; /proc counts in 10 ms ticks, so each figure is an average over the phase. What the broker spends between requests (its once-a-second checks) is in the phase's total only.`,
    '',
  ];
}

export function renderMarkdown(result: BenchResult): string {
  const { environment: env, settings } = result;
  const lines = [
    '# Sign-in benchmark',
    '',
    `${result.startedAt} · Node ${env.node} · ${env.cpus} × ${env.cpuModel} · load average at start ${env.loadAverageAtStart.map((value) => value.toFixed(2)).join(' ')}`,
    `· broker on ${env.brokerDatabase} · commit ${env.commit ?? 'unknown'} · ${settings.warmUpSeconds} s of warm-up at ${settings.warmUpConcurrency} concurrent · ${settings.seconds} s per sign-in phase, ${settings.refreshSeconds} s of refresh grants${settings.quick ? ' (quick smoke run)' : ''}`,
    ...busyMachineNote(result),
    '',
    "Each sign-in: a new browser, the `cqrs-app` client's authorization request at the broker (PKCE,",
    `scope \`${settings.scope}\`), the mock NHSmail sign-in form, back through the broker, and the code`,
    "redeemed at the broker's token endpoint. CPU is user + system time of each service process from",
    "/proc; SQL statements are each service's `db_statements_total` (n/a: the service does not count them).",
    '',
    '![throughput and p99 against concurrency](chart.svg)',
    '',
    '## Sign-ins',
    '',
    '| concurrent | sign-ins | errors | sign-ins/s | p50 ms | p95 ms | p99 ms | broker CPU-ms | broker SQL | mock CPU-ms | mock SQL | app CPU-ms | broker DB B | mock DB B |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...result.signIns.map((phase) => {
      const { broker, 'mock-idp': mock, 'cqrs-app': app } = phase.services;
      return `| ${phase.concurrency} | ${phase.signIns} | ${phase.errors} | ${phase.signInsPerSecond} | ${show(phase.latencyMs.p50)} | ${show(phase.latencyMs.p95)} | ${show(phase.latencyMs.p99)} | ${show(broker.cpuMsPerOperation, 1)} | ${show(broker.statementsPerOperation, 1)} | ${show(mock.cpuMsPerOperation, 1)} | ${show(mock.statementsPerOperation, 1)} | ${show(app.cpuMsPerOperation, 1)} | ${show(phase.databaseBytesPerSignIn.broker)} | ${show(phase.databaseBytesPerSignIn['mock-idp'])} |`;
    }),
    '',
    'CPU-ms, SQL and DB bytes are per sign-in.',
    '',
    ...instructionsSection(result),
    ...byRequestSection(result),
    '## Refresh grants',
    '',
    `${result.refresh.concurrency} clients, each rotating its own refresh token: **${result.refresh.grantsPerSecond} grants/s**, ${result.refresh.grants} grants, ${result.refresh.errors} errors, p50 ${show(result.refresh.latencyMs.p50)} ms, p99 ${show(result.refresh.latencyMs.p99)} ms; broker ${show(result.refresh.broker?.cpuMsPerOperation, 1)} CPU-ms, ${show(result.refresh.brokerMillionInstructionsPerGrant, 2)} million instructions and ${show(result.refresh.broker?.statementsPerOperation, 1)} SQL statements per grant, ${show(result.refresh.brokerDatabaseBytesPerGrant)} database bytes per grant.`,
    '',
    '## Services',
    '',
    '| service | start-up ms | idle CPU-ms/s | idle SQL/s | RSS MiB after the sign-ins | peak RSS MiB | database at the end: live KiB | files KiB |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...serviceNames.map((name) => {
      const last = result.signIns.at(-1)?.services[name];
      const database = result.databasesAtEnd[name];
      const kib = (bytes: number | null | undefined) =>
        bytes === null || bytes === undefined ? null : bytes / 1024;
      return `| ${name} | ${Math.round(result.startupMs[name])} | ${show(result.idle[name].cpuMsPerSecond, 1)} | ${show(result.idle[name].statementsPerSecond, 2)} | ${show(last?.rssMiB, 1)} | ${show(last?.peakRssMiB, 1)} | ${show(kib(database?.bytes))} | ${show(kib(database?.fileBytes))} |`;
    }),
    '',
    'Start-up: from spawning `node <service>/main.ts` on a fresh data folder (migrations and seeding',
    'included) to its first successful answer. Idle: CPU-ms and SQL statements a second over a pause',
    "after the first sign-ins and before the warm-up's load, with nothing asked of the services (timers and polls); they run during the",
    "phases too, so each phase's figures per sign-in hold them: at 20 sign-ins/s, one statement a second",
    'is 0.05 per sign-in.',
    '',
    '## Targets',
    '',
    '| target | limit | measured | met |',
    '|---|---|---|---|',
    ...result.targets.map(
      (target) =>
        `| ${target.name} | ${target.limit} | ${target.measured} | ${target.met === null ? 'n/a' : target.met ? 'yes' : 'no'} |`,
    ),
    ...floorSection(result),
  ];
  const failures = [
    ...result.signIns.map((phase) => ({
      label: `${phase.concurrency} concurrent`,
      samples: phase.errorSamples,
    })),
    { label: 'refresh', samples: result.refresh.errorSamples },
    { label: 'floor', samples: result.floor?.errorSamples ?? [] },
  ].filter((entry) => entry.samples.length > 0);
  if (failures.length > 0) {
    lines.push('', '## Errors', '');
    for (const failure of failures)
      for (const sample of failure.samples)
        lines.push(`- ${failure.label}: ${sample.count} × ${sample.message}`);
  }
  if (result.profile) {
    const profile = result.profile;
    lines.push(
      '',
      `## CPU profile of ${profile.service}`,
      '',
      `${profile.busyMs} ms busy during the ${profile.windowSeconds} s of measured phases (start-up and warm-up left out), from \`${path.basename(profile.file)}\`. Self time:`,
      '',
      '| package | self ms | share |',
      '|---|---:|---:|',
      ...profile.topPackages.map((entry) => `| ${entry.name} | ${entry.selfMs} | ${entry.share} % |`),
      '',
      '| function | self ms | share |',
      '|---|---:|---:|',
      ...profile.topFunctions.map((entry) => `| \`${entry.name}\` | ${entry.selfMs} | ${entry.share} % |`),
    );
  }
  return `${lines.join('\n')}\n`;
}

export async function writeReport(outDir: string, result: BenchResult): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const files = {
    'results.json': `${JSON.stringify(result, null, 2)}\n`,
    'report.md': renderMarkdown(result),
    'chart.svg': renderChart(result.signIns, 'Federated sign-ins: throughput and p99 latency'),
  };
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(outDir, name), content);
  return Object.keys(files).map((name) => path.join(outDir, name));
}
