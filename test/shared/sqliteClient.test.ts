// The SQLite client: LIMIT and OFFSET numbers in the SQL text (SQLite re-compiles a statement with a
// bound LIMIT every time it runs), and prepared statements run on the connection at once, except
// while a transaction holds it.
import test, { type ExecutionContext } from 'ava';
import { changesOf, preparedQuery, rowsOf } from '../../shared/preparedQuery.ts';
import { scratchDatabase } from '../helpers/postgres.ts';

/** A scratch SQLite database, gone after the test, with one table of string columns keyed by the first. */
async function withTable(t: ExecutionContext, name: string, [key, ...others]: [string, ...string[]]) {
  const { db, dispose } = await scratchDatabase('sqlite');
  t.teardown(dispose);
  await db.schema.createTable(name, (table) => {
    table.string(key).primary();
    for (const column of others) table.string(column);
  });
  return db;
}

test('sqlite: LIMIT and OFFSET numbers are in the SQL text and select the same rows', async (t) => {
  const db = await withTable(t, 'notes', ['id', 'owner']);
  await db('notes').insert(['a', 'b', 'c', 'd'].map((id) => ({ id, owner: id === 'd' ? 'tom' : 'jane' })));

  const first = db('notes').where({ owner: 'jane' }).orderBy('id').first('id');
  t.deepEqual(first.toSQL().bindings, ['jane']);
  t.regex(first.toSQL().sql, /limit 1$/);
  t.deepEqual(await first, { id: 'a' });

  const page = db('notes').where({ owner: 'jane' }).orderBy('id').limit(2).offset(1).select('id');
  t.deepEqual(page.toSQL().bindings, ['jane']);
  t.regex(page.toSQL().sql, /limit 2 offset 1$/);
  t.deepEqual(await page, [{ id: 'b' }, { id: 'c' }]);

  // An OFFSET given as SQL (which knex accepts, though its types say number) keeps its own binding.
  const rawOffset = db('notes')
    .orderBy('id')
    .limit(1)
    .offset(db.raw('?', [3]) as unknown as number)
    .select('id');
  t.deepEqual(rawOffset.toSQL().bindings, [3]);
  t.deepEqual(await rawOffset, [{ id: 'd' }]);

  // The builder is not changed by being compiled for SQLite: compiled again, it reads the same.
  t.is(page.toSQL().sql, page.toSQL().sql);
  t.deepEqual(await page, [{ id: 'b' }, { id: 'c' }]);
});

test('sqlite: a statement read with first() runs again with new values', async (t) => {
  const db = await withTable(t, 'accounts', ['email', 'name']);
  await db('accounts').insert([
    { email: 'jane@example.org', name: 'Jane' },
    { email: 'tom@example.org', name: 'Tom' },
  ]);
  for (const [email, name] of [
    ['jane@example.org', 'Jane'],
    ['tom@example.org', 'Tom'],
    ['jane@example.org', 'Jane'],
  ] as const)
    t.deepEqual(await db('accounts').where({ email }).first('name'), { name });
  t.is(await db('accounts').where({ email: 'nobody@example.org' }).first('name'), undefined);
});

test('sqlite: prepared statements run at once, are counted, and wait for a transaction they are not part of', async (t) => {
  const db = await withTable(t, 'notes', ['id', 'owner']);
  const insert = preparedQuery<[id: string, owner: string]>(db, 2, (id, owner) =>
    db('notes').insert({ id, owner }),
  );
  const byId = preparedQuery<[id: string]>(db, 1, (id) => db('notes').where({ id }).first('owner'));
  const seen: string[] = [];
  const record = (query: { sql: string }) => seen.push(query.sql);
  db.on('query', record);
  t.is(changesOf(await insert('a', 'jane')), 1);
  t.deepEqual(rowsOf(await byId('a')), [{ owner: 'jane' }]);
  t.deepEqual(rowsOf(await byId('nobody')), []);
  const running = byId('a');
  t.is(seen.length, 4, 'sent at once, not on a later turn of the event loop as knex sends it');
  t.deepEqual(rowsOf(await running), [{ owner: 'jane' }]);
  db.removeListener('query', record);
  t.is(seen.length, 4, 'every statement is counted, as knex counts its own');

  // A transaction holds the one connection between its statements: a statement of another caller
  // waits for it to end and is not rolled back with it.
  let outsideDone = false;
  let outside: Promise<unknown> | undefined;
  await t.throwsAsync(
    db.transaction(async (trx) => {
      await trx('notes').insert({ id: 'b', owner: 'in the transaction' });
      outside = insert('c', 'outside').then((result) => {
        outsideDone = true;
        return result;
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      t.false(outsideDone, 'the other statement waits while the transaction is open');
      throw new Error('roll back');
    }),
    { message: 'roll back' },
  );
  t.is(changesOf(await outside), 1);
  t.deepEqual(await db('notes').orderBy('id').select('id'), [{ id: 'a' }, { id: 'c' }]);

  // An undefined value is refused with knex's own error, as before.
  await t.throwsAsync(insert('d', undefined as unknown as string), { message: /Undefined binding/ });
});

test('sqlite: after the database is closed, a prepared statement fails instead of running', async (t) => {
  const { db, dispose } = await scratchDatabase('sqlite');
  await db.schema.createTable('notes', (table) => {
    table.string('id').primary();
  });
  const insert = preparedQuery<[id: string]>(db, 1, (id) => db('notes').insert({ id }));
  await insert('a');
  await dispose();
  await t.throwsAsync(insert('b'));
});
