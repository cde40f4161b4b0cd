// Tables that every oidc-provider instance here needs: its model payloads, its registered clients,
// its signing keys and its cookie keys. The broker and the mock IdP each run this in their own database.
import type { Knex } from 'knex';
import { isPostgres, type Migration } from '../database.ts';

export const oidcStorageMigration: Migration = {
  name: '0001_oidc_storage',
  async up(db: Knex) {
    await db.schema.createTable('oidc_payloads', (table) => {
      table.string('model', 64).notNullable();
      table.string('id', 255).notNullable();
      table.text('payload').notNullable();
      table.string('grant_id', 255);
      table.string('user_code', 255);
      table.string('uid', 255);
      table.bigInteger('expires_at');
      table.bigInteger('consumed_at');
      table.primary(['model', 'id']);
      table.index(['grant_id']);
      table.index(['uid']);
      table.index(['user_code']);
      table.index(['expires_at']);
    });
    await db.schema.createTable('oauth_clients', (table) => {
      table.string('client_id', 255).primary();
      // SHA-256 of a high-entropy generated secret: the secret itself is shown once and never stored.
      table.string('secret_sha256', 64);
      table.text('metadata').notNullable();
      table.bigInteger('created_at').notNullable();
      table.bigInteger('updated_at').notNullable();
    });
    await db.schema.createTable('signing_keys', (table) => {
      table.integer('generation').primary();
      table.string('kid', 128).notNullable().unique();
      table.string('alg', 16).notNullable();
      table.text('private_jwk').notNullable();
      table.bigInteger('created_at').notNullable();
      // Set when a newer key takes over; the key stays published for verification until expires_at.
      table.bigInteger('retired_at');
      table.bigInteger('expires_at');
    });
    await db.schema.createTable('cookie_keys', (table) => {
      table.integer('generation').primary();
      table.string('secret', 128).notNullable();
      table.bigInteger('created_at').notNullable();
    });
  },
  async down(db: Knex) {
    for (const table of ['cookie_keys', 'signing_keys', 'oauth_clients', 'oidc_payloads']) {
      await db.schema.dropTableIfExists(table);
    }
  },
};

/**
 * Key lifecycle: a key is published from its creation but signs only from `activates_at`, so that every
 * running instance publishes it first. Existing keys were active from their creation. Services without
 * a `signing_keys` table (the CQRS app) get the cookie-key columns only.
 */
export const keyActivationMigration: Migration = {
  name: '0010_key_activation',
  async up(db: Knex) {
    if (await db.schema.hasTable('signing_keys')) {
      await db.schema.alterTable('signing_keys', (table) => {
        table.bigInteger('activates_at');
      });
      await db('signing_keys').update({ activates_at: db.ref('created_at') });
    }
    await db.schema.alterTable('cookie_keys', (table) => {
      table.bigInteger('activates_at');
      table.bigInteger('expires_at');
    });
    await db('cookie_keys').update({ activates_at: db.ref('created_at') });
  },
  async down(db: Knex) {
    if (await db.schema.hasTable('signing_keys'))
      await db.schema.alterTable('signing_keys', (table) => table.dropColumn('activates_at'));
    await db.schema.alterTable('cookie_keys', (table) => {
      table.dropColumn('activates_at');
      table.dropColumn('expires_at');
    });
  },
};

/**
 * Who a payload belongs to, as indexed columns: suspending an account or removing a client ends its
 * sessions, grants and tokens by index instead of matching JSON text. Existing rows are backfilled.
 */
export const oidcPayloadOwnersMigration: Migration = {
  name: '0012_oidc_payload_owners',
  async up(db: Knex) {
    await db.schema.alterTable('oidc_payloads', (table) => {
      table.string('account_id', 255);
      table.string('client_id', 255);
      table.index(['account_id']);
      table.index(['client_id']);
    });
    await db('oidc_payloads').update(
      isPostgres(db)
        ? {
            account_id: db.raw(`payload::json->>'accountId'`),
            client_id: db.raw(`payload::json->>'clientId'`),
          }
        : {
            account_id: db.raw(`json_extract(payload, '$.accountId')`),
            client_id: db.raw(`json_extract(payload, '$.clientId')`),
          },
    );
  },
  async down(db: Knex) {
    await db.schema.alterTable('oidc_payloads', (table) => {
      table.dropIndex(['account_id']);
      table.dropIndex(['client_id']);
      table.dropColumn('account_id');
      table.dropColumn('client_id');
    });
  },
};

/**
 * The client registry's version: one counter that every client write bumps in its own transaction
 * (shared/oidc/clientStore.ts). Running services keep the clients they have read while it stays the
 * same and poll it with one statement (shared/oidc/clientCache.ts).
 */
export const clientRegistryVersionMigration: Migration = {
  name: '0021_oauth_clients_version',
  async up(db: Knex) {
    await db.schema.createTable('oauth_clients_version', (table) => {
      // Always 1: the table holds one row.
      table.integer('id').primary();
      table.bigInteger('version').notNullable();
    });
    await db('oauth_clients_version').insert({ id: 1, version: 1 });
  },
  async down(db: Knex) {
    await db.schema.dropTableIfExists('oauth_clients_version');
  },
};

/** The secondary indexes of oidc_payloads whose column most rows leave empty (see the migration below). */
const sparselyIndexedColumns = ['grant_id', 'uid', 'user_code', 'account_id', 'client_id'] as const;

/**
 * Indexes only the rows that need them: a partial index (`WHERE column IS NOT NULL`, the same in SQLite
 * and PostgreSQL) leaves out every row whose column is empty, and each insert then updates fewer
 * indexes. uid is set on sessions only, user_code on device codes only (the device flow is off),
 * grant_id on everything but sessions and interactions, and account_id and client_id only where no
 * grant reaches the row (shared/oidc/knexAdapter.ts). Every lookup by these columns is an equality, which
 * both databases answer from a partial index. Same names as before, so `down` puts the full ones back.
 */
export const oidcPayloadPartialIndexesMigration: Migration = {
  name: '0022_oidc_payload_partial_indexes',
  async up(db: Knex) {
    await db.schema.alterTable('oidc_payloads', (table) => {
      for (const column of sparselyIndexedColumns) table.dropIndex([column]);
    });
    await db.schema.alterTable('oidc_payloads', (table) => {
      for (const column of sparselyIndexedColumns)
        table.index([column], `oidc_payloads_${column}_index`, { predicate: db.whereNotNull(column) });
    });
  },
  async down(db: Knex) {
    await db.schema.alterTable('oidc_payloads', (table) => {
      for (const column of sparselyIndexedColumns) table.dropIndex([column]);
    });
    await db.schema.alterTable('oidc_payloads', (table) => {
      for (const column of sparselyIndexedColumns) table.index([column]);
    });
  },
};

/**
 * Interactions in a table of their own. An Interaction is written at the start of a sign-in and deleted
 * at its end, seconds later; in oidc_payloads, SQLite appends rows in rowid order, so the space each one
 * freed stayed empty among the sessions, grants and tokens written meanwhile (about a kilobyte per
 * sign-in under concurrent sign-ins). Here new interactions reuse it. No index but the key: the table
 * holds only sign-ins under way or abandoned within the hour, which the expiry sweep scans.
 * Interactions under way when this runs move with their rows.
 */
export const oidcInteractionsMigration: Migration = {
  name: '0023_oidc_interactions',
  async up(db: Knex) {
    await db.schema.createTable('oidc_interactions', (table) => {
      table.string('id', 255).primary();
      table.text('payload').notNullable();
      table.bigInteger('expires_at');
    });
    await db.raw(
      'insert into oidc_interactions (id, payload, expires_at) select id, payload, expires_at from oidc_payloads where model = ?',
      ['Interaction'],
    );
    await db('oidc_payloads').where({ model: 'Interaction' }).delete();
  },
  async down(db: Knex) {
    await db.raw(
      'insert into oidc_payloads (model, id, payload, expires_at) select ?, id, payload, expires_at from oidc_interactions',
      ['Interaction'],
    );
    await db.schema.dropTableIfExists('oidc_interactions');
  },
};
