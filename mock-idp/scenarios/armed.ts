// Scenarios armed by testers for the next sign-in of one account (by email) or of anyone ('*').
// Taking one is a single delete that only one request can win, so a scenario fires exactly once.
//
// The mock also keeps, per database, how many rows each target has (loaded when the mock starts), so
// that a sign-in with nothing armed for it sends no statement here. The count never falls below the
// table: it rises before a row is inserted and falls only by the rows a delete returned, so at worst
// (rows deleted behind the mock's back) a sign-in asks the table in vain. That holds because this
// process is the only writer: the control API and its CLI go through HTTP, seeds through disarm(). The
// mock is one process per database (its token faults are kept in memory too); a second process on the
// same database would not see what the first arms.
import type { Knex } from 'knex';
import { isPostgres } from '../../shared/database.ts';
import { normaliseEmail } from '../directory/accounts.ts';
import { mockEvents } from '../metrics.ts';

export const anyAccount = '*';

export interface ArmedScenario {
  id: number;
  target: string;
  scenario: string;
  createdAt: number;
}

interface ArmedRow {
  id: number;
  target: string;
  scenario: string;
  created_at: number;
}

const toArmed = (row: ArmedRow): ArmedScenario => ({
  id: row.id,
  target: row.target,
  scenario: row.scenario,
  createdAt: row.created_at,
});

/** Rows per target, per database; absent until the mock has loaded them (then every call asks). */
const armedCounts = new WeakMap<Knex, Map<string, number>>();

function adjust(db: Knex, target: string, by: number): void {
  const counts = armedCounts.get(db);
  if (!counts) return;
  const count = (counts.get(target) ?? 0) + by;
  if (count > 0) counts.set(target, count);
  else counts.delete(target);
}

/** Whether a row may be armed for this (normalised) account or anyone: false only when surely not. */
function mayBeArmed(db: Knex, target: string): boolean {
  const counts = armedCounts.get(db);
  return !counts || counts.has(target) || counts.has(anyAccount);
}

/** Reads what is armed into the process (the mock does so when it starts). */
export async function loadArmedCounts(db: Knex): Promise<void> {
  const rows: Array<{ target: string; count: number | string }> = await db('armed_scenarios')
    .select('target')
    .count({ count: '*' })
    .groupBy('target');
  armedCounts.set(db, new Map(rows.map((row) => [row.target, Number(row.count)])));
}

/** `DELETE … RETURNING target` (knex's SQLite dialect drops `returning` from a delete). */
async function deleteReturningTargets(
  db: Knex,
  query: Knex.QueryBuilder,
  extra: string[] = [],
): Promise<Array<Record<string, string>>> {
  const { sql, bindings } = query.delete().toSQL();
  const result = await db.raw(`${sql} returning ${['target', ...extra].join(', ')}`, bindings);
  const rows: Array<Record<string, string>> = Array.isArray(result) ? result : result.rows;
  for (const row of rows) adjust(db, String(row.target), -1);
  return rows;
}

export async function armScenario(db: Knex, target: string, scenario: string): Promise<ArmedScenario> {
  const normalised = target === anyAccount ? anyAccount : normaliseEmail(target);
  // Counted first: a sign-in that looks while the insert is under way asks the table.
  adjust(db, normalised, 1);
  let inserted: unknown;
  try {
    [inserted] = await db('armed_scenarios')
      .insert({ target: normalised, scenario, created_at: Date.now() })
      .returning('id');
  } catch (error) {
    adjust(db, normalised, -1);
    throw error;
  }
  const id = typeof inserted === 'object' ? (inserted as { id: number }).id : (inserted as number);
  const row = await db<ArmedRow>('armed_scenarios').where({ id }).first();
  if (!row) throw new Error('armed scenario vanished after insert');
  return toArmed(row);
}

export async function listArmed(db: Knex): Promise<ArmedScenario[]> {
  return (await db<ArmedRow>('armed_scenarios').orderBy('id')).map(toArmed);
}

export async function disarm(db: Knex, target?: string): Promise<number> {
  const query = db('armed_scenarios');
  if (target !== undefined)
    query.where({ target: target === anyAccount ? anyAccount : normaliseEmail(target) });
  return (await deleteReturningTargets(db, query)).length;
}

/** Whether a scenario waits for this account's next sign-in (or anyone's). */
export async function hasArmedScenario(db: Knex, email: string): Promise<boolean> {
  const target = normaliseEmail(email);
  if (!mayBeArmed(db, target)) return false;
  const row = await db('armed_scenarios').whereIn('target', [target, anyAccount]).first('id');
  return row !== undefined;
}

/**
 * Takes the scenario armed for this account's next sign-in, else the oldest armed for anyone: one
 * `DELETE … RETURNING`, so of two sign-ins racing for one scenario exactly one gets it. PostgreSQL
 * skips a row another transaction is taking rather than coming back empty; SQLite has one writer.
 * No statement at all when nothing is armed for this account or anyone.
 */
export async function takeArmedScenario(db: Knex, email: string): Promise<string | undefined> {
  const target = normaliseEmail(email);
  if (!mayBeArmed(db, target)) return undefined;
  const oldestFirst = db('armed_scenarios')
    .select('id')
    .whereIn('target', [target, anyAccount])
    .orderByRaw('case when target = ? then 0 else 1 end, id', [target])
    .limit(1);
  if (isPostgres(db)) oldestFirst.forUpdate().skipLocked();
  const rows = await deleteReturningTargets(db, db('armed_scenarios').whereIn('id', oldestFirst), [
    'scenario',
  ]);
  const taken = rows[0]?.scenario;
  if (taken !== undefined) mockEvents(db).emit('scenario', taken);
  return taken;
}
