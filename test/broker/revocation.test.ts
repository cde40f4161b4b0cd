// Revocation by the indexed columns of oidc_payloads, on SQLite and PostgreSQL: rows written by earlier
// releases are migrated in place (owners backfilled, interactions moved to their own table), and
// revoking an account or a client removes exactly its sessions, grants and tokens, old rows and new.
import test from 'ava';
import { revokeAccountTokens, revokeClientTokens } from '../../broker/issuer/revocation.ts';
import { brokerMigrations, brokerMigrationTable } from '../../broker/migrations/index.ts';
import { migrate } from '../../shared/database.ts';
import { createKnexAdapter } from '../../shared/oidc/knexAdapter.ts';
import { oidcPayloadOwnersMigration } from '../../shared/oidc/migration.ts';
import { postgresRequired, scratchDatabase } from '../helpers/postgres.ts';

const postgresCheck = await postgresRequired();

const open = scratchDatabase;

for (const backend of ['sqlite', 'postgres'] as const) {
  const available = backend === 'sqlite' || postgresCheck.run;
  (available ? test : test.skip)(
    `${backend}: rows of earlier releases migrate in place, and revocation ends exactly theirs`,
    async (t) => {
      const { db, dispose } = await open(backend);
      t.teardown(dispose);
      const before = brokerMigrations.slice(0, brokerMigrations.indexOf(oidcPayloadOwnersMigration));
      await migrate(db, before, brokerMigrationTable);
      const later = Date.now() + 60_000;
      const interaction = { jti: 'i-old', kind: 'Interaction', params: { client_id: 'app-1' }, exp: 1 };
      // Written by a broker of an earlier release: no owner columns yet, every field in the JSON, and
      // interactions among the other payloads.
      const earlier: Array<Record<string, string | number>> = [
        { model: 'Session', id: 's-old', payload: JSON.stringify({ accountId: 'acc-1', jti: 's-old' }) },
        { model: 'Grant', id: 'g-old', payload: JSON.stringify({ accountId: 'acc-1', clientId: 'app-1' }) },
        {
          model: 'AccessToken',
          id: 'at-old',
          grant_id: 'g-old',
          expires_at: later,
          payload: JSON.stringify({
            accountId: 'acc-1',
            clientId: 'app-1',
            grantId: 'g-old',
            jti: 'at-old',
            kind: 'AccessToken',
          }),
        },
        { model: 'Interaction', id: 'i-old', expires_at: later, payload: JSON.stringify(interaction) },
        // A value with LIKE wildcards must match nothing else.
        { model: 'Session', id: 's-wild', payload: JSON.stringify({ accountId: 'acc-%', jti: 's-wild' }) },
      ];
      for (const row of earlier) await db('oidc_payloads').insert(row);
      await migrate(db, brokerMigrations, brokerMigrationTable);
      const Adapter = createKnexAdapter(db);
      t.deepEqual(await new Adapter('Interaction').find('i-old'), interaction, 'the interaction moved');
      t.like(await new Adapter('AccessToken').find('at-old'), { jti: 'at-old', grantId: 'g-old' });
      // Written by this release: codes and tokens reached through their grant, grant-less ones directly.
      const upsert = (model: string, id: string, payload: Record<string, string>) =>
        new Adapter(model).upsert(id, { ...payload, jti: id }, 60);
      await upsert('AccessToken', 'at-1', { accountId: 'acc-1', clientId: 'app-2' });
      await upsert('AccessToken', 'at-2', { accountId: 'acc-2', clientId: 'app-1' });
      await upsert('AccessToken', 'at-3', { accountId: 'acc-2', clientId: 'app-2' });
      await upsert('Grant', 'g-new', { accountId: 'acc-1', clientId: 'app-2' });
      await upsert('RefreshToken', 'rt-4', { accountId: 'acc-1', clientId: 'app-2', grantId: 'g-new' });
      await upsert('Grant', 'g-new2', { accountId: 'acc-2', clientId: 'app-1' });
      await upsert('RefreshToken', 'rt-5', { accountId: 'acc-2', clientId: 'app-1', grantId: 'g-new2' });

      t.is(await revokeAccountTokens(db, 'acc-1'), 6);
      t.deepEqual((await db('oidc_payloads').orderBy('id').pluck('id')) as string[], [
        'at-2',
        'at-3',
        'g-new2',
        'rt-5',
        's-wild',
      ]);
      t.is(await revokeClientTokens(db, 'app-1'), 3);
      t.deepEqual((await db('oidc_payloads').orderBy('id').pluck('id')) as string[], ['at-3', 's-wild']);
    },
  );
}
