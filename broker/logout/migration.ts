// Tables of sign-out: the outbox of back-channel logout deliveries (written by the CLI and by any broker
// instance, delivered by whichever running instance claims a row first) and the link from an upstream
// (NHSmail) session to the broker session it signed in, for front-channel logout.
import type { Knex } from 'knex';
import type { Migration } from '../../shared/database.ts';

export const logoutMigration: Migration = {
  name: '0020_logout_outbox_and_upstream_sessions',
  async up(db: Knex) {
    await db.schema.createTable('logout_deliveries', (table) => {
      table.increments('id').primary();
      table.string('client_id', 255).notNullable();
      // The `sub` of the logout token: the broker's account id.
      table.string('account_id', 36).notNullable();
      // The session id the app was given in its id_token (oidc-provider's sid is per client).
      table.string('sid', 255);
      // Why the session ended: suspended, signed_out, upstream_signed_out.
      table.string('reason', 32).notNullable();
      table.string('correlation_id', 64).notNullable();
      table.integer('attempts').notNullable().defaultTo(0);
      table.bigInteger('next_attempt_at').notNullable();
      // A claim is a lease: an instance that dies mid-delivery leaves the row to others when it runs out.
      table.bigInteger('claimed_until');
      table.bigInteger('created_at').notNullable();
      table.index(['next_attempt_at']);
    });
    await db.schema.createTable('upstream_sessions', (table) => {
      // oidc-provider's Session uid: stable for the life of the broker session.
      table.string('broker_session_uid', 255).primary();
      table.string('issuer', 500).notNullable();
      // The upstream id_token's `sid`.
      table.string('upstream_sid', 255).notNullable();
      table.string('account_id', 36).notNullable();
      // The upstream id_token's `login_hint` (Entra's optional claim): sent back as end_session's logout_hint.
      table.string('login_hint', 500);
      table.bigInteger('created_at').notNullable();
      table.bigInteger('expires_at').notNullable();
      table.index(['issuer', 'upstream_sid']);
      table.index(['account_id']);
    });
  },
  async down(db: Knex) {
    await db.schema.dropTableIfExists('upstream_sessions');
    await db.schema.dropTableIfExists('logout_deliveries');
  },
};
