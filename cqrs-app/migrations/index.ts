// The CQRS app's migrations: its sessions, its cookie keys and the message centre's messages.
import type { Knex } from 'knex';
import type { Migration } from '../../shared/database.ts';
import { keyActivationMigration } from '../../shared/oidc/migration.ts';

const initial: Migration = {
  name: '0001_sessions_and_messages',
  async up(db: Knex) {
    await db.schema.createTable('app_sessions', (table) => {
      table.string('id', 128).primary();
      table.text('data').notNullable();
      // The broker's session id, so back-channel logout can end the matching sessions.
      table.string('broker_sid', 255);
      table.bigInteger('expires_at').notNullable();
      table.index(['broker_sid']);
    });
    await db.schema.createTable('cookie_keys', (table) => {
      table.integer('generation').primary();
      table.string('secret', 128).notNullable();
      table.bigInteger('created_at').notNullable();
    });
    await db.schema.createTable('messages', (table) => {
      table.string('id', 64).primary();
      table.string('ods_code', 16);
      table.string('subject', 300).notNullable();
      table.text('body').notNullable();
      table.bigInteger('received_at').notNullable();
    });
  },
  async down(db: Knex) {
    for (const table of ['messages', 'cookie_keys', 'app_sessions']) await db.schema.dropTableIfExists(table);
  },
};

const sessionSubject: Migration = {
  name: '0020_session_subject',
  async up(db: Knex) {
    // The broker's `sub`: a logout token without a sid ends every session of that user.
    await db.schema.alterTable('app_sessions', (table) => {
      table.string('broker_sub', 255);
      table.index(['broker_sub']);
    });
  },
  async down(db: Knex) {
    await db.schema.alterTable('app_sessions', (table) => {
      table.dropIndex(['broker_sub']);
      table.dropColumn('broker_sub');
    });
  },
};

export const cqrsAppMigrations: readonly Migration[] = [initial, keyActivationMigration, sessionSubject];
export const cqrsAppMigrationTable = 'cqrs_app_migrations';
