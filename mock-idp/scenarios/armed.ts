// Scenarios armed by testers for the next sign-in of one account (by email) or of anyone ('*').
// Taking one is a delete that only one request can win, so a scenario fires exactly once.
import { mockEvents } from '../metrics.ts';
import type { Knex } from 'knex';
import { normaliseEmail } from '../directory/accounts.ts';

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

/** Takes the scenario armed for this account's next sign-in, else the one armed for anyone. */
export async function takeArmedScenario(db: Knex, email: string): Promise<string | undefined> {
  for (const target of [normaliseEmail(email), anyAccount]) {
    // Retry when another request takes the same row between our read and our delete.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const row = await db<ArmedRow>('armed_scenarios').where({ target }).orderBy('id').first();
      if (!row) break;
      const taken = await db('armed_scenarios').where({ id: row.id }).delete();
      if (taken === 1) {
        mockEvents(db).emit('scenario', row.scenario);
        return row.scenario;
      }
    }
  }
  return undefined;
}
