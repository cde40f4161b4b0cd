// `npm run bench -- --quick` as a user runs it: the three services start as child processes, every
// phase completes real sign-ins and refresh grants without an error, and the report folder holds a
// JSON file, a markdown report and an SVG chart with a number for every phase; `--profile broker`
// adds where the broker's CPU went; the bare-library floor is measured after them in the same run.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import knex from 'knex';
import { instructionsCountable } from '../../scripts/bench/instructions.ts';
import { parseOptions } from '../../scripts/bench/options.ts';
import type { BenchResult } from '../../scripts/bench/result.ts';
import { postgresRequired, postgresUrl } from '../helpers/postgres.ts';

const run = promisify(execFile);
const script = path.join(import.meta.dirname, '..', '..', 'scripts', 'bench.ts');

const isCount = (value: unknown) => typeof value === 'number' && Number.isFinite(value) && value >= 0;

test('bench --quick writes JSON, markdown and SVG with numbers for every phase and no errors', async (t) => {
  // About 20 s on an idle 2-core machine, the floor included; room for a machine busy with other
  // test files.
  t.timeout(240_000);
  const outDir = await mkdtemp(path.join(tmpdir(), 'cqrs-bench-test-'));
  t.teardown(() => rm(outDir, { recursive: true, force: true }));
  const { stdout } = await run(
    process.execPath,
    [script, '--quick', '--profile', 'broker', '--out', outDir],
    {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: outDir },
      timeout: 230_000,
    },
  );
  t.true(stdout.includes(`Report written to ${outDir}`));

  const result = JSON.parse(await readFile(path.join(outDir, 'results.json'), 'utf8')) as BenchResult;
  const countable = instructionsCountable();
  t.deepEqual(
    result.signIns.map((phase) => phase.concurrency),
    [1, 4],
  );
  // A quick run warms up for 1 s at its highest concurrency, and says so.
  t.like(result.settings, { warmUpSeconds: 1, warmUpConcurrency: 4 });
  for (const phase of result.signIns) {
    t.is(phase.errors, 0, JSON.stringify(phase.errorSamples));
    t.true(phase.signIns >= phase.concurrency, `at least one sign-in per browser at ${phase.concurrency}`);
    t.true(phase.signInsPerSecond > 0);
    for (const value of Object.values(phase.latencyMs)) t.true(isCount(value) && (value as number) > 0);
    for (const service of Object.values(phase.services)) {
      t.true(isCount(service.cpuMsPerOperation));
      t.true(service.rssMiB > 0);
    }
    // Every sign-in crosses the broker, which counts its statements; a service without the counter says null.
    t.true((phase.services.broker.statementsPerOperation ?? 0) > 0);
    t.true(phase.services.broker.cpuMsPerOperation > 0);
    t.true(phase.services['mock-idp'].cpuMsPerOperation > 0);
    t.true(Number.isFinite(phase.databaseBytesPerSignIn.broker));
    // Instructions per sign-in where perf can count them here, null (n/a) where it cannot.
    for (const count of Object.values(phase.millionInstructionsPerSignIn))
      t.true(countable ? (count ?? 0) > 0 : count === null, String(count));
  }
  // One sign-in at a time, the broker's CPU request by request: each of the four requests a sign-in
  // makes to it, once per sign-in; not measured where sign-ins overlap.
  const [single, concurrent] = result.signIns;
  t.deepEqual((single?.brokerCpuByRequest ?? []).map((row) => [row.request, row.perSignIn]).sort(), [
    ['GET /auth', 1],
    ['GET /auth/<id>', 1],
    ['GET /upstream/callback', 1],
    ['POST /token', 1],
  ]);
  for (const row of single?.brokerCpuByRequest ?? []) t.true(isCount(row.cpuMsPerSignIn), row.request);
  t.is(concurrent?.brokerCpuByRequest, undefined);
  t.is(result.refresh.errors, 0, JSON.stringify(result.refresh.errorSamples));
  t.true(result.refresh.grants >= result.refresh.concurrency);
  t.true(result.refresh.grantsPerSecond > 0);
  t.true((result.refresh.broker?.cpuMsPerOperation ?? 0) > 0);
  t.true((result.refresh.broker?.statementsPerOperation ?? 0) > 0);
  const perGrant = result.refresh.brokerMillionInstructionsPerGrant;
  t.true(countable ? (perGrant ?? 0) > 0 : perGrant === null, String(perGrant));
  for (const startup of Object.values(result.startupMs)) t.true(startup > 0);
  // What each service spends with nothing asked of it, read over a pause after the first sign-in.
  t.deepEqual(Object.keys(result.idle).sort(), ['broker', 'cqrs-app', 'mock-idp']);
  for (const idle of Object.values(result.idle)) t.true(isCount(idle.cpuMsPerSecond));
  // The broker and the mock poll their client registry (and the broker its logout outbox) while idle.
  t.true(isCount(result.idle.broker.statementsPerSecond));
  t.true(isCount(result.idle['mock-idp'].statementsPerSecond));
  t.regex(
    stdout,
    /idle: mock-idp [\d.]+ CPU-ms and [\d.]+ SQL a second, broker [\d.]+ CPU-ms and [\d.]+ SQL a second/,
  );
  t.true((result.databasesAtEnd.broker?.bytes ?? 0) > 0);
  t.true((result.databasesAtEnd.broker?.fileBytes ?? 0) >= (result.databasesAtEnd.broker?.bytes ?? 0));
  t.true(result.targets.length > 0);
  t.true((result.profile?.busyMs ?? 0) > 0);
  t.true((result.profile?.topPackages.length ?? 0) > 0);

  // The floor: the bare pair at the highest concurrency of a quick run, every number there and positive.
  const floor = result.floor;
  if (!floor) return t.fail('results.json has no floor');
  t.is(floor.concurrency, 4);
  // The services' phases in their order: one at a time, then the reference.
  t.deepEqual(floor.phasesRun, [1, 4]);
  t.is(floor.errors, 0, JSON.stringify(floor.errorSamples));
  t.true(floor.signIns >= floor.concurrency);
  t.true(floor.signInsPerSecond > 0);
  for (const value of Object.values(floor.latencyMs)) t.true(isCount(value) && (value as number) > 0);
  for (const name of ['bare-broker', 'bare-upstream'] as const) {
    t.true(floor.services[name].cpuMsPerOperation > 0, name);
    t.true(floor.services[name].rssMiB > 0, name);
    t.true(floor.startupMs[name] > 0, name);
  }
  t.true((floor.cpuRatio.broker ?? 0) > 0);
  t.true((floor.cpuRatio['mock-idp'] ?? 0) > 0);
  for (const name of ['bare-broker', 'bare-upstream'] as const) {
    const count = floor.millionInstructionsPerSignIn[name];
    t.true(countable ? (count ?? 0) > 0 : count === null, `${name}: ${count}`);
  }
  for (const value of Object.values(floor.instructionRatio))
    t.true(countable ? (value ?? 0) > 0 : value === null);
  t.true(stdout.includes(`floor, 4 concurrent: ${floor.signInsPerSecond} sign-ins/s`));
  // The run has a one-at-a-time phase, so the bare broker is measured by request too: the five
  // requests of its sign-in (oidc-provider's interaction page included), once each.
  const bareOne = floor.oneAtATime;
  if (!bareOne) return t.fail('results.json has no one-at-a-time floor');
  t.true(bareOne.signIns > 0);
  t.deepEqual(bareOne.brokerCpuByRequest.map((row) => [row.request, row.perSignIn]).sort(), [
    ['GET /auth', 1],
    ['GET /auth/<id>', 1],
    ['GET /callback', 1],
    ['GET /interaction/<id>', 1],
    ['POST /token', 1],
  ]);
  t.true((bareOne.cpuRatio ?? 0) > 0);

  const markdown = await readFile(path.join(outDir, 'report.md'), 'utf8');
  for (const phase of result.signIns) {
    t.true(markdown.includes(`| ${phase.concurrency} | ${phase.signIns} | 0 | ${phase.signInsPerSecond} |`));
  }
  t.true(markdown.includes(`**${result.refresh.grantsPerSecond} grants/s**`));
  t.true(
    markdown.includes(
      `| broker | ${Math.round(result.startupMs.broker)} | ${result.idle.broker.cpuMsPerSecond.toFixed(1)} | ${result.idle.broker.statementsPerSecond?.toFixed(2)} |`,
    ),
  );
  t.true(markdown.includes('· 1 s of warm-up at 4 concurrent ·'));
  t.true(markdown.includes('## CPU profile of broker'));
  t.true(markdown.includes('## Broker CPU by request, one sign-in at a time'));
  const tokenRow = single?.brokerCpuByRequest?.find((row) => row.request === 'POST /token');
  t.true(markdown.includes(`| \`POST /token\` | 1 | ${tokenRow?.cpuMsPerSignIn.toFixed(2)} |`));
  t.true(markdown.includes('## Bare-library floor on this machine, same run'));
  const brokerInstructions = single?.millionInstructionsPerSignIn.broker;
  t.true(
    countable
      ? markdown.includes(`| 1 | ${brokerInstructions?.toFixed(2)} |`)
      : markdown.includes('Instructions per sign-in: n/a'),
  );
  t.true(
    markdown.includes(
      `| bare broker + bare upstream | ${floor.signIns} | 0 | ${floor.signInsPerSecond} | ${floor.latencyMs.p99} | ${floor.services['bare-broker'].cpuMsPerOperation.toFixed(1)} | ${floor.services['bare-upstream'].cpuMsPerOperation.toFixed(1)} |`,
    ),
  );
  t.true(
    markdown.includes(
      `Broker CPU per sign-in / bare broker CPU per sign-in: **${floor.cpuRatio.broker?.toFixed(2)}×**`,
    ),
  );
  t.true(
    markdown.includes(
      `Broker CPU per sign-in / bare broker CPU per sign-in, one at a time: **${bareOne.cpuRatio?.toFixed(2)}×**`,
    ),
  );

  const svg = await readFile(path.join(outDir, 'chart.svg'), 'utf8');
  t.true(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  t.is(svg.match(/<rect x=/g)?.length, result.signIns.length, 'one throughput bar per phase');
  t.is(svg.match(/<circle /g)?.length, result.signIns.length, 'one p99 point per phase');
  t.false(svg.includes('NaN'));
});

test('bench --database-url runs the broker on PostgreSQL in a schema of its own and leaves none behind', async (t) => {
  const postgres = await postgresRequired();
  if (!postgres.run) return t.log(`not run here: ${postgres.reason}`);
  t.timeout(180_000);
  const outDir = await mkdtemp(path.join(tmpdir(), 'cqrs-bench-pg-test-'));
  t.teardown(() => rm(outDir, { recursive: true, force: true }));
  const schemas = () =>
    probe<{ nspname: string }>("select nspname from pg_namespace where nspname like 'bench\\_%'");
  const before = (await schemas()).map((row) => row.nspname);
  const { stdout } = await run(
    process.execPath,
    [script, '--quick', '--no-floor', '--concurrency', '1', '--database-url', postgresUrl, '--out', outDir],
    {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: outDir },
      timeout: 170_000,
    },
  );
  t.true(stdout.includes(`Report written to ${outDir}`));
  const result = JSON.parse(await readFile(path.join(outDir, 'results.json'), 'utf8')) as BenchResult;
  t.is(result.environment.brokerDatabase, 'postgresql');
  const [phase] = result.signIns;
  if (!phase) return t.fail('results.json has no sign-in phase');
  t.is(phase.errors, 0, JSON.stringify(phase.errorSamples));
  t.true(phase.signIns >= 1);
  // The broker's statements are counted on PostgreSQL as on SQLite: a sign-in makes 9.
  const statements = phase.services.broker.statementsPerOperation ?? 0;
  t.true(statements >= 9 && statements <= 12, String(statements));
  // Its growth is read from PostgreSQL's relation sizes in the run's schema.
  t.true((result.databasesAtEnd.broker?.bytes ?? 0) > 0);
  t.true(Number.isFinite(phase.databaseBytesPerSignIn.broker));
  t.is(result.refresh.errors, 0, JSON.stringify(result.refresh.errorSamples));
  const markdown = await readFile(path.join(outDir, 'report.md'), 'utf8');
  t.true(markdown.includes('· broker on postgresql ·'));
  // The scratch schema is dropped when the run ends.
  t.deepEqual((await schemas()).map((row) => row.nspname).sort(), before.sort());
});

async function probe<Row>(sql: string): Promise<Row[]> {
  const db = knex({ client: 'pg', connection: postgresUrl });
  try {
    return (await db.raw(sql)).rows as Row[];
  } finally {
    await db.destroy();
  }
}

test('bench warms up for 30 s unless told otherwise; 0 is allowed, a negative or empty value is refused', (t) => {
  t.is(parseOptions([], {}, '/tmp').warmUpSeconds, 30);
  t.is(parseOptions(['--quick'], {}, '/tmp').warmUpSeconds, 1);
  t.is(parseOptions(['--warm-up-seconds', '0'], {}, '/tmp').warmUpSeconds, 0);
  t.is(parseOptions(['--warm-up-seconds', '90'], {}, '/tmp').warmUpSeconds, 90);
  for (const value of ['-1', '', 'soon'])
    t.throws(() => parseOptions([`--warm-up-seconds=${value}`], {}, '/tmp'), {
      message: /--warm-up-seconds: expected a number from 0 to 3600/,
    });
});

test('bench runs the floor unless told --no-floor', (t) => {
  t.true(parseOptions([], {}, '/tmp').floor);
  t.true(parseOptions(['--quick'], {}, '/tmp').floor);
  t.false(parseOptions(['--no-floor'], {}, '/tmp').floor);
});

test('bench refuses an unknown option value with a message that names it', async (t) => {
  const error = await t.throwsAsync(run(process.execPath, [script, '--profile', 'database']), {
    message: /--profile: expected one of mock-idp, broker, cqrs-app/,
  });
  t.is((error as unknown as { code: number }).code, 2);
});
