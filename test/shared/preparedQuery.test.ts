// A statement built once and run raw with new values: each value lands where its placeholder was,
// constants the builder added (a LIMIT) stay, and the result reads alike on SQLite and PostgreSQL.
import test from 'ava';
import { changesOf, preparedQuery, rowsOf } from '../../shared/preparedQuery.ts';
import { postgresRequired, scratchDatabase } from '../helpers/postgres.ts';

const postgresCheck = await postgresRequired();

const sqlite = () => scratchDatabase('sqlite');
const postgres = () => scratchDatabase('postgres');

for (const [name, open, run] of [
  ['sqlite', sqlite, true],
  ['postgres', postgres, postgresCheck.run],
] as const) {
  (run ? test : test.skip)(
    `${name}: values go where their placeholders were; writes report their changes`,
    async (t) => {
      const { db, dispose } = await open();
      t.teardown(dispose);
      await db.schema.createTable('notes', (table) => {
        table.string('id').primary();
        table.string('owner').notNullable();
        table.bigInteger('at');
      });
      // Declared in one order, used by the builder in another.
      const insert = preparedQuery<[at: number, id: string, owner: string]>(db, 3, (at, id, owner) =>
        db('notes').insert({ id, owner, at }),
      );
      const byOwner = preparedQuery<[owner: string, after: number]>(db, 2, (owner, after) =>
        db('notes').where({ owner }).andWhere('at', '>', after).orderBy('id').first('id', 'at'),
      );
      const rename = preparedQuery<[owner: string, id: string]>(db, 2, (owner, id) =>
        db('notes').where({ id }).update({ owner }),
      );
      await insert(10, 'a', 'jane');
      await insert(20, 'b', 'jane');
      await insert(30, 'c', 'tom');
      t.deepEqual(rowsOf(await byOwner('jane', 15)), [{ id: 'b', at: 20 }], 'first() kept its LIMIT 1');
      t.deepEqual(rowsOf(await byOwner('tom', 0)), [{ id: 'c', at: 30 }]);
      t.deepEqual(rowsOf(await byOwner('nobody', 0)), []);
      t.is(changesOf(await rename('tom', 'a')), 1);
      t.is(changesOf(await rename('tom', 'missing')), 0);
      t.deepEqual(rowsOf(await byOwner('tom', 0)), [{ id: 'a', at: 10 }]);
    },
  );
}

test('a placeholder the builder does not use is refused when the statement is built', async (t) => {
  const { db, dispose } = await sqlite();
  t.teardown(dispose);
  t.throws(() => preparedQuery(db, 2, (id) => db('notes').where({ id })), {
    message: /1 parameter\(s\) unused/,
  });
});
