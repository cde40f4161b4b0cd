// A statement built once with knex's query builder and then run as raw SQL with new values. On the
// sign-in path the builder cost about as much CPU as SQLite's own work: 110-140 µs a statement built
// each time against 57-66 µs for the same SQL run raw (measured on this project's 2-core machine).
// The SQL stays knex's, for whichever dialect the database is, so SQLite and PostgreSQL run the same
// statement text they ran before. On SQLite the statement runs on the connection at once when no
// transaction holds it (sqliteClient.ts `runNow`), without knex's runner and pool.
import type { Knex } from 'knex';
import { directRunner, notNow } from './sqliteClient.ts';

type Slot = { parameter: number } | { value: unknown };

/** Stands in for parameter `index` while the statement is built; never sent to the database. */
function placeholder(index: number): string {
  return `\u0000parameter ${index}\u0000`;
}

/**
 * `build` receives `parameterCount` placeholders and returns a query; the function returned runs
 * that query with real values in their places and answers knex's raw result for the dialect (see
 * rowsOf and changesOf). A placeholder must be used as a value (a binding), never as an identifier.
 */
export function preparedQuery<Parameters extends unknown[]>(
  db: Knex,
  parameterCount: number,
  build: (...placeholders: string[]) => Knex.QueryBuilder,
): (...parameters: Parameters) => Promise<unknown> {
  const placeholders = Array.from({ length: parameterCount }, (_, index) => placeholder(index));
  const { sql, bindings } = build(...placeholders).toSQL();
  const slots: Slot[] = bindings.map((binding) => {
    const parameter = typeof binding === 'string' ? placeholders.indexOf(binding) : -1;
    return parameter >= 0 ? { parameter } : { value: binding };
  });
  const used = new Set(slots.flatMap((slot) => ('parameter' in slot ? [slot.parameter] : [])));
  if (used.size !== parameterCount)
    throw new Error(`preparedQuery: ${parameterCount - used.size} parameter(s) unused in: ${sql}`);
  const statement = rawStatement(db, sql);
  return (...parameters: Parameters) =>
    statement(slots.map((slot) => ('parameter' in slot ? parameters[slot.parameter] : slot.value)));
}

/**
 * `sql` as a function of its bindings that answers knex's raw result for the dialect (see rowsOf and
 * changesOf). On SQLite it runs on the connection at once when it can (sqliteClient.ts `runNow`), else
 * through knex, as `db.raw` does.
 */
export function rawStatement(db: Knex, sql: string): (bindings: readonly unknown[]) => Promise<unknown> {
  const direct = directRunner(db);
  if (!direct) return async (bindings) => db.raw(sql, bindings as Knex.RawBinding[]);
  return async (bindings) => {
    const result = direct(sql, bindings);
    return result === notNow ? db.raw(sql, bindings as Knex.RawBinding[]) : result;
  };
}

/** The rows of a raw result: an array on SQLite, `.rows` on PostgreSQL. */
export function rowsOf<Row>(result: unknown): Row[] {
  if (Array.isArray(result)) return result as Row[];
  return ((result as { rows?: Row[] } | undefined)?.rows ?? []) as Row[];
}

/** How many rows a raw insert, update or delete changed: `changes` on SQLite, `rowCount` on PostgreSQL. */
export function changesOf(result: unknown): number {
  const { changes, rowCount } = (result ?? {}) as { changes?: number | bigint; rowCount?: number | null };
  return Number(rowCount ?? changes ?? 0);
}
