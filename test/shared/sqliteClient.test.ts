// The SQLite client writes LIMIT and OFFSET numbers into the SQL text (SQLite re-compiles a statement
// with a bound LIMIT every time it runs), and queries answer the same rows as before.
import test from 'ava';
import { scratchDatabase } from '../helpers/postgres.ts';

test('sqlite: LIMIT and OFFSET numbers are in the SQL text and select the same rows', async (t) => {
  const { db, dispose } = await scratchDatabase('sqlite');
  t.teardown(dispose);
  await db.schema.createTable('notes', (table) => {
    table.string('id').primary();
    table.string('owner').notNullable();
  });
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
  const { db, dispose } = await scratchDatabase('sqlite');
  t.teardown(dispose);
  await db.schema.createTable('accounts', (table) => {
    table.string('email').primary();
    table.string('name');
  });
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
