// The mock IdP's migrations, in order.
import type { Knex } from 'knex';
import type { Migration } from '../../shared/database.ts';
import {
  clientRegistryVersionMigration,
  keyActivationMigration,
  oidcInteractionsMigration,
  oidcPayloadOwnersMigration,
  oidcPayloadPartialIndexesMigration,
  oidcStorageMigration,
} from '../../shared/oidc/migration.ts';

const directory: Migration = {
  name: '0002_nhsmail_directory',
  async up(db: Knex) {
    await db.schema.createTable('nhsmail_accounts', (table) => {
      // Lower-cased: user IDs match case-insensitively everywhere.
      table.string('email', 320).primary();
      table.string('oid', 36).notNullable().unique();
      table.string('given_name', 200).notNullable();
      table.string('family_name', 200).notNullable();
      table.text('password_hash').notNullable();
      table.string('state', 32).notNullable();
      table.boolean('mfa_required').notNullable().defaultTo(false);
      table.string('mfa_code', 16).notNullable();
      table.integer('failed_attempts').notNullable().defaultTo(0);
      table.bigInteger('locked_until');
      table.bigInteger('created_at').notNullable();
      table.bigInteger('updated_at').notNullable();
    });
    await db.schema.createTable('armed_scenarios', (table) => {
      table.increments('id').primary();
      // An account's email, or '*' for the next sign-in of anyone.
      table.string('target', 320).notNullable();
      table.string('scenario', 64).notNullable();
      table.bigInteger('created_at').notNullable();
      table.index(['target']);
    });
    await db.schema.createTable('sign_in_attempts', (table) => {
      table.increments('id').primary();
      table.string('email', 320).notNullable();
      table.string('outcome', 64).notNullable();
      table.string('error_code', 32);
      table.string('client_id', 255);
      table.string('correlation_id', 64);
      table.bigInteger('at').notNullable();
      table.index(['at']);
    });
    await db.schema.createTable('login_progress', (table) => {
      // One row per interaction between the password step and the end of sign-in (MFA, password change).
      table.string('uid', 255).primary();
      table.string('email', 320).notNullable();
      table.string('step', 32).notNullable();
      table.string('scenario', 64);
      table.boolean('remember').notNullable().defaultTo(false);
      table.bigInteger('expires_at').notNullable();
    });
    await db.schema.createTable('token_faults', (table) => {
      // A protocol or availability fault to apply when this account's next code is redeemed.
      table.string('account_id', 36).primary();
      table.string('scenario', 64).notNullable();
      table.bigInteger('expires_at').notNullable();
    });
  },
  async down(db: Knex) {
    for (const table of [
      'token_faults',
      'login_progress',
      'sign_in_attempts',
      'armed_scenarios',
      'nhsmail_accounts',
    ]) {
      await db.schema.dropTableIfExists(table);
    }
  },
};

const tokenFaultsInMemory: Migration = {
  name: '0003_token_faults_in_memory',
  async up(db: Knex) {
    // Token-stage faults are keyed by the authorization code in memory (provider/tokenFaults.ts).
    await db.schema.dropTableIfExists('token_faults');
  },
  async down(db: Knex) {
    await db.schema.createTable('token_faults', (table) => {
      table.string('account_id', 36).primary();
      table.string('scenario', 64).notNullable();
      table.bigInteger('expires_at').notNullable();
    });
  },
};

export const mockIdpMigrations: readonly Migration[] = [
  oidcStorageMigration,
  directory,
  keyActivationMigration,
  oidcPayloadOwnersMigration,
  tokenFaultsInMemory,
  clientRegistryVersionMigration,
  oidcPayloadPartialIndexesMigration,
  oidcInteractionsMigration,
];
export const mockIdpMigrationTable = 'mock_idp_migrations';
