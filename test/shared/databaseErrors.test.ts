// A failed statement's error, which the services log, names the SQL but none of the values bound to
// it: those can be authorization codes, token ids or payloads.
import test from 'ava';
import { postgresRequired, scratchDatabase } from '../helpers/postgres.ts';

const postgresCheck = await postgresRequired();

for (const [name, run] of [
  ['sqlite', true],
  ['postgres', postgresCheck.run],
] as const) {
  (run ? test : test.skip)(
    `${name}: a failed statement's error names the SQL but none of its values`,
    async (t) => {
      const { db, dispose } = await scratchDatabase(name);
      t.teardown(dispose);
      await db.schema.createTable('codes', (table) => {
        table.string('id').primary();
      });
      await db('codes').insert({ id: 'first-secret-code' });
      const error = await t.throwsAsync(db('codes').insert({ id: 'first-secret-code' }));
      t.regex(error?.message ?? '', /insert into .codes./);
      t.false(error?.message.includes('first-secret-code'), error?.message);
    },
  );
}
