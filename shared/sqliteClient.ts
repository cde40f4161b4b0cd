// A knex client for Node's built-in SQLite (`node:sqlite`). knex's SQLite dialect (SQL compiler,
// schema builder, transactions) is reused as it is; only the driver calls differ. The built-in driver
// runs a statement synchronously on the calling thread, where the `sqlite3` package hands each one to
// a libuv worker and back: `npm run bench` measured about a third of the broker's CPU per sign-in in
// that round trip (README.md, "Benchmark"). With one connection per process (shared/database.ts) no
// statement waits for another, so running on the event loop costs no more than the SQL itself.
// The statements built once (shared/preparedQuery.ts) skip knex's runner and pool too, when no
// transaction holds the connection (`runNow`).
import { createRequire } from 'node:module';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { Knex } from 'knex';

const require = createRequire(import.meta.url);
// knex ships no typings for its dialect classes; this is the shape used here.
interface DialectQuery {
  sql: string;
  bindings?: unknown[];
  response?: unknown;
  context?: { lastID?: number | bigint; changes: number };
}
type DialectBase = new (
  config: Knex.Config,
) => {
  connectionSettings: { filename: string };
  _formatBindings(bindings: readonly unknown[] | undefined): unknown[];
  queryCompiler(builder: unknown, formatter: unknown): QueryCompiler;
  /** knex's clients are event emitters; the knex instance passes their `query` events on. */
  emit(event: string, ...values: unknown[]): boolean;
};
/** What of knex's query compiler is used here: the builder's one-off parts (LIMIT, OFFSET…). */
interface QueryCompiler {
  single: { limit?: unknown; offset?: unknown; skipBinding?: Record<string, unknown> };
}
const BetterSqliteDialect = require('knex/lib/dialects/better-sqlite3/index.js') as DialectBase;

/** Prepared statements kept per connection: the services send a few dozen distinct SQL texts. */
const statementCacheSize = 256;

/** A prepared statement, and whether it answers rows (a select, a pragma, … returning). */
interface Prepared {
  statement: StatementSync;
  reader: boolean;
}

interface Connection {
  database: DatabaseSync;
  statements: Map<string, Prepared>;
}

/** SQLite's primary result codes, so errors carry the names the rest of the code and logs use. */
const resultCodeNames: Record<number, string> = {
  1: 'SQLITE_ERROR',
  2: 'SQLITE_INTERNAL',
  3: 'SQLITE_PERM',
  4: 'SQLITE_ABORT',
  5: 'SQLITE_BUSY',
  6: 'SQLITE_LOCKED',
  7: 'SQLITE_NOMEM',
  8: 'SQLITE_READONLY',
  9: 'SQLITE_INTERRUPT',
  10: 'SQLITE_IOERR',
  11: 'SQLITE_CORRUPT',
  13: 'SQLITE_FULL',
  14: 'SQLITE_CANTOPEN',
  15: 'SQLITE_PROTOCOL',
  17: 'SQLITE_SCHEMA',
  18: 'SQLITE_TOOBIG',
  19: 'SQLITE_CONSTRAINT',
  20: 'SQLITE_MISMATCH',
  21: 'SQLITE_MISUSE',
  23: 'SQLITE_AUTH',
  25: 'SQLITE_RANGE',
  26: 'SQLITE_NOTADB',
};

/** An error from the driver, named like SQLite's C API does (`SQLITE_BUSY: database is locked`). */
export class SqliteError extends Error {
  override name = 'SqliteError';
  readonly code: string;
  /** SQLite's extended result code, e.g. 2067 for a UNIQUE constraint. */
  readonly errcode: number | undefined;

  constructor(cause: unknown) {
    const { message, errcode } = cause as { message?: string; errcode?: number };
    const code = (errcode !== undefined && resultCodeNames[errcode & 0xff]) || 'SQLITE_ERROR';
    super(`${code}: ${message ?? String(cause)}`, { cause });
    this.code = code;
    this.errcode = errcode;
  }
}

function prepare(connection: Connection, sql: string): Prepared {
  let prepared = connection.statements.get(sql);
  if (!prepared) {
    const statement = connection.database.prepare(sql);
    prepared = { statement, reader: statement.columns().length > 0 };
    if (connection.statements.size >= statementCacheSize) connection.statements.clear();
    connection.statements.set(sql, prepared);
  }
  return prepared;
}

export class NodeSqliteClient extends BetterSqliteDialect {
  _driver() {
    return DatabaseSync;
  }

  /**
   * LIMIT and OFFSET numbers in the SQL text, not bound. SQLite plans with a bound LIMIT's value, so it
   * compiles such a statement again every time a value is bound there, even the same one: a `.first()`
   * by a unique index took 13 µs a run against 4 µs with `limit 1` in its text, and the compiling was
   * 1.6 % of the broker's CPU in `npm run bench`. knex has parsed both into integers already; an
   * OFFSET given as raw SQL or a subquery is left as it was.
   */
  override queryCompiler(builder: unknown, formatter: unknown): QueryCompiler {
    const compiler = super.queryCompiler(builder, formatter);
    const { single } = compiler;
    // A copy: the builder keeps its own, and may be compiled for another client.
    compiler.single = {
      ...single,
      skipBinding: {
        ...single.skipBinding,
        limit: typeof single.limit === 'number' || single.skipBinding?.limit,
        offset: typeof single.offset === 'number' || single.skipBinding?.offset,
      },
    };
    return compiler;
  }

  /** The connections open now: the pool keeps one per process (shared/database.ts). */
  private readonly open = new Set<Connection>();

  async acquireRawConnection(): Promise<Connection> {
    let connection: Connection;
    try {
      connection = { database: new DatabaseSync(this.connectionSettings.filename), statements: new Map() };
    } catch (caught) {
      throw new SqliteError(caught);
    }
    this.open.add(connection);
    return connection;
  }

  async destroyRawConnection(connection: Connection): Promise<void> {
    this.open.delete(connection);
    connection.statements.clear();
    connection.database.close();
  }

  async _query(connection: Connection, query: DialectQuery): Promise<DialectQuery> {
    if (!query.sql) throw new Error('The query is empty');
    if (!connection) throw new Error('No connection provided');
    const { response, context } = run(connection, query.sql, this._formatBindings(query.bindings));
    query.response = response;
    query.context = context;
    return query;
  }

  /**
   * Runs `sql` now, on the process's one connection, and answers what `db.raw(sql, bindings)` would:
   * the rows of a statement that answers rows, else its changes. knex's runner and pool take their
   * turn on every statement (with the builder, 5 % of the broker's CPU per sign-in), and with SQLite running
   * synchronously on this thread no statement of the process is ever half done when this runs. It
   * does not run, and answers `notNow`, when a transaction is open on the connection (knex's
   * transaction holds it between its statements), when the pool has no connection or more than one,
   * or when a binding is undefined (knex's own error then says so). A statement run here is counted
   * as knex's are: the knex instance emits `query` for it.
   */
  runNow(sql: string, bindings: readonly unknown[]): unknown {
    if (this.open.size !== 1 || bindings.includes(undefined)) return notNow;
    const [connection] = this.open;
    if (!connection || connection.database.isTransaction) return notNow;
    this.emit('query', { method: 'raw', sql, bindings });
    return run(connection, sql, this._formatBindings(bindings)).response;
  }
}

/** Answered by NodeSqliteClient.runNow when the statement must go through knex instead. */
export const notNow: unique symbol = Symbol('not now');

/** Runs one statement: the rows of a statement that answers rows, else the changes it made. */
function run(
  connection: Connection,
  sql: string,
  bindings: unknown[],
): Required<Pick<DialectQuery, 'response' | 'context'>> {
  const values = bindings as Array<null | number | bigint | string | Uint8Array>;
  try {
    const { statement, reader } = prepare(connection, sql);
    if (reader) {
      const rows = statement.all(...values);
      return { response: rows, context: { changes: rows.length } };
    }
    const result = statement.run(...values);
    return { response: result, context: { lastID: result.lastInsertRowid, changes: Number(result.changes) } };
  } catch (caught) {
    throw new SqliteError(caught);
  }
}

/**
 * How to run a statement now on `db`'s SQLite connection (NodeSqliteClient.runNow), or undefined when
 * `db` is not on this client or is a transaction, whose statements go through knex.
 */
export function directRunner(db: Knex): ((sql: string, bindings: readonly unknown[]) => unknown) | undefined {
  if ((db as { isTransaction?: boolean }).isTransaction) return undefined;
  const { client } = db as { client: unknown };
  if (!(client instanceof NodeSqliteClient)) return undefined;
  return (sql, bindings) => client.runNow(sql, bindings);
}

/** Runs several `;`-separated statements (settings at connect), outside knex. */
export function execute(connection: unknown, sql: string): void {
  try {
    (connection as Connection).database.exec(sql);
  } catch (caught) {
    throw new SqliteError(caught);
  }
}
