// Scenarios armed by testers for the next sign-in of one account (by email) or of anyone ('*').
// Taking one is a single delete that only one request can win, so a scenario fires exactly once.
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

export async function armScenario(db: Knex, target: string, scenario: string): Promise<ArmedScenario> {
  const normalised = target === anyAccount ? anyAccount : normaliseEmail(target);
  const [inserted] = await db('armed_scenarios')
    .insert({ target: normalised, scenario, created_at: Date.now() })
    .returning('id');
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
  return query.delete();
}

/** Whether a scenario waits for this account's next sign-in (or anyone's). */
export async function hasArmedScenario(db: Knex, email: string): Promise<boolean> {
  const row = await db('armed_scenarios')
    .whereIn('target', [normaliseEmail(email), anyAccount])
    .first('id');
  return row !== undefined;
}

/**
 * Takes the scenario armed for this account's next sign-in, else the oldest armed for anyone: one
 * `DELETE … RETURNING`, so of two sign-ins racing for one scenario exactly one gets it. PostgreSQL
 * skips a row another transaction is taking rather than coming back empty; SQLite has one writer.
 */
export async function takeArmedScenario(db: Knex, email: string): Promise<string | undefined> {
  const target = normaliseEmail(email);
  const oldestFirst = db('armed_scenarios')
    .select('id')
    .whereIn('target', [target, anyAccount])
    .orderByRaw('case when target = ? then 0 else 1 end, id', [target])
    .limit(1);
  if (isPostgres(db)) oldestFirst.forUpdate().skipLocked();
  const { sql, bindings } = db('armed_scenarios').whereIn('id', oldestFirst).delete().toSQL();
  // knex's SQLite dialect drops `returning` from a delete, so it is written out here.
  const result = await db.raw(`${sql} returning scenario`, bindings);
  const rows: Array<{ scenario: string }> = Array.isArray(result) ? result : result.rows;
  const taken = rows[0]?.scenario;
  if (taken !== undefined) mockEvents(db).emit('scenario', taken);
  return taken;
}
