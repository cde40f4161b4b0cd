// `node scripts/bench/sqliteSettings.ts [rounds]`: the measurement behind shared/database.ts's SQLite
// driver, settings and single connection. A statement mix shaped like the broker's (insert a payload, read it,
// look up by an indexed column, mark it consumed, read it again, delete half) runs from 10 concurrent
// callers against a fresh file on the data disk for each variant, rounds interleaved so a busy machine
// disturbs them alike; it prints operations/s, CPU µs per statement (this process, libuv threads
// included) and p50/p99 latency.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import knex, { type Knex } from 'knex';
import { dataDirectory } from '../../shared/config.ts';
import { sqliteServerSettings } from '../../shared/database.ts';
import { execute, NodeSqliteClient } from '../../shared/sqliteClient.ts';
import { percentile } from './load.ts';

// `sqlite3`: the npm package (statements run on libuv worker threads); `node:sqlite`: Node's built-in
// driver (statements run on the calling thread), the one shared/database.ts uses.
type Driver = 'sqlite3' | 'node:sqlite';
const variants: Array<{ name: string; driver: Driver; pool: number; settings: string }> = [
  {
    name: 'sqlite3, WAL, synchronous=FULL',
    driver: 'sqlite3',
    pool: 1,
    settings: 'PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000',
  },
  {
    name: 'sqlite3, WAL, synchronous=NORMAL',
    driver: 'sqlite3',
    pool: 1,
    settings: 'PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000',
  },
  { name: 'sqlite3, chosen settings', driver: 'sqlite3', pool: 1, settings: sqliteServerSettings },
  { name: 'sqlite3, chosen, pool of 2', driver: 'sqlite3', pool: 2, settings: sqliteServerSettings },
  { name: 'node:sqlite, chosen settings', driver: 'node:sqlite', pool: 1, settings: sqliteServerSettings },
];

function openVariant(variant: (typeof variants)[number], filename: string) {
  const pool = { min: 1, max: variant.pool };
  if (variant.driver === 'node:sqlite') {
    return knex({
      client: NodeSqliteClient as unknown as Knex.Config['client'],
      connection: { filename },
      useNullAsDefault: true,
      pool: {
        ...pool,
        afterCreate(connection: unknown, done: (error: Error | null, connection: unknown) => void) {
          execute(connection, variant.settings);
          done(null, connection);
        },
      },
    });
  }
  return knex({
    client: 'sqlite3',
    connection: { filename },
    useNullAsDefault: true,
    pool: {
      ...pool,
      afterCreate(
        connection: { exec: (sql: string, done: (error: Error | null) => void) => void },
        done: (error: Error | null, connection: unknown) => void,
      ) {
        connection.exec(variant.settings, (error) => done(error, connection));
      },
    },
  });
}
const operations = 2000;
const concurrency = 10;
const statementsPerOperation = 5.5;

async function measure(variant: (typeof variants)[number], directory: string) {
  const db = openVariant(variant, path.join(directory, `${randomBytes(4).toString('hex')}.sqlite`));
  await db.schema.createTable('payloads', (table) => {
    table.string('id').primary();
    table.text('payload');
    table.bigInteger('expires_at');
    table.bigInteger('consumed_at');
    table.string('grant_id').index();
  });
  const payload = JSON.stringify({ data: randomBytes(400).toString('base64') });
  const latencies: number[] = [];
  const operation = async (index: number) => {
    const id = `${index}-${randomBytes(8).toString('hex')}`;
    const began = performance.now();
    await db('payloads').insert({
      id,
      payload,
      expires_at: Date.now() + 60_000,
      grant_id: `grant-${index % 50}`,
    });
    await db('payloads').where({ id }).first();
    await db('payloads')
      .where({ grant_id: `grant-${index % 50}` })
      .select('id')
      .limit(5);
    await db('payloads').where({ id }).update({ consumed_at: Date.now() });
    await db('payloads').where({ id }).first();
    if (index % 2) await db('payloads').where({ id }).delete();
    latencies.push(performance.now() - began);
  };
  for (let index = 0; index < 100; index += 1) await operation(index);
  latencies.length = 0;
  let next = 0;
  const cpuBefore = process.cpuUsage();
  const began = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < operations) await operation(1000 + next++);
    }),
  );
  const seconds = (performance.now() - began) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  await db.destroy();
  return {
    operationsPerSecond: Math.round(operations / seconds),
    cpuMicrosPerStatement: Math.round((cpu.user + cpu.system) / (operations * statementsPerOperation)),
    p50: Math.round(percentile(latencies, 0.5) ?? 0),
    p99: Math.round(percentile(latencies, 0.99) ?? 0),
  };
}

const rounds = Number(process.argv[2] ?? 3);
// The data folder's disk, not a RAM-backed /tmp: fsync cost is what synchronous= changes.
await mkdir(dataDirectory(process.env), { recursive: true });
const directory = await mkdtemp(path.join(dataDirectory(process.env), 'sqlite-settings-'));
try {
  for (let round = 1; round <= rounds; round += 1) {
    process.stdout.write(`round ${round} of ${rounds} (load average ${os.loadavg()[0]?.toFixed(1)})\n`);
    for (const variant of variants) {
      const result = await measure(variant, directory);
      process.stdout.write(
        `  ${variant.name.padEnd(32)} ${String(result.operationsPerSecond).padStart(5)} ops/s  ${String(result.cpuMicrosPerStatement).padStart(4)} CPU µs/statement  p50 ${result.p50} ms  p99 ${result.p99} ms\n`,
      );
    }
  }
} finally {
  await rm(directory, { recursive: true, force: true });
}
