// The broker's migrations, in order.
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
import { logoutMigration } from '../logout/migration.ts';

const accounts: Migration = {
  name: '0002_cqrs_accounts',
  async up(db: Knex) {
    await db.schema.createTable('accounts', (table) => {
      // The broker's own stable id: the `sub` it issues. Never the email.
      table.string('id', 36).primary();
      // Lower-cased: emails match case-insensitively everywhere.
      table.string('email', 320).notNullable().unique();
      table.string('given_name', 200).notNullable();
      table.string('family_name', 200).notNullable();
      table.string('status', 16).notNullable();
      table.string('upstream_tid', 36);
      table.string('upstream_oid', 36);
      table.bigInteger('linked_at');
      table.bigInteger('created_at').notNullable();
      table.bigInteger('updated_at').notNullable();
      table.unique(['upstream_tid', 'upstream_oid']);
    });
    await db.schema.createTable('account_organisations', (table) => {
      table.string('account_id', 36).notNullable().references('id').inTable('accounts').onDelete('CASCADE');
      table.string('ods_code', 16).notNullable();
      table.string('name', 300).notNullable();
      table.string('type', 32).notNullable();
      table.text('roles').notNullable();
      table.primary(['account_id', 'ods_code']);
    });
  },
  async down(db: Knex) {
    await db.schema.dropTableIfExists('account_organisations');
    await db.schema.dropTableIfExists('accounts');
  },
};

const signIn: Migration = {
  name: '0003_sign_in_and_audit',
  async up(db: Knex) {
    await db.schema.createTable('upstream_attempts', (table) => {
      // One row per redirect to NHSmail: the state, nonce and PKCE verifier for its callback.
      table.string('state', 128).primary();
      table.string('interaction_uid', 255).notNullable();
      table.string('nonce', 128).notNullable();
      table.string('code_verifier', 128).notNullable();
      table.bigInteger('expires_at').notNullable();
    });
    await db.schema.createTable('audit_events', (table) => {
      table.increments('id').primary();
      table.bigInteger('at').notNullable();
      table.string('correlation_id', 64).notNullable();
      table.string('event', 32).notNullable();
      table.string('outcome', 64).notNullable();
      table.string('client_id', 255);
      table.string('account_id', 36);
      // HMAC of the lower-cased email: lets the help desk search by email without storing it.
      table.string('email_hash', 64);
      table.string('upstream_oid', 64);
      table.text('detail');
      table.index(['at']);
      table.index(['email_hash']);
      table.index(['outcome']);
      table.index(['correlation_id']);
    });
    await db.schema.createTable('broker_secrets', (table) => {
      table.string('name', 64).primary();
      table.string('value', 256).notNullable();
    });
  },
  async down(db: Knex) {
    for (const table of ['broker_secrets', 'audit_events', 'upstream_attempts'])
      await db.schema.dropTableIfExists(table);
  },
};

const pendingSignIns: Migration = {
  name: '0011_pending_sign_ins',
  async up(db: Knex) {
    await db.schema.createTable('pending_sign_ins', (table) => {
      // `<interaction uid>.<random>`, sent upstream as `state`.
      table.string('state', 255).primary();
      table.string('interaction_uid', 255).notNullable();
      // The connector's own data (nonce, PKCE verifier…): opaque JSON.
      table.text('connector_data').notNullable();
      table.bigInteger('expires_at').notNullable().index();
    });
    // Sign-ins under way when this runs start again from the app: their rows carried named columns.
    await db.schema.dropTableIfExists('upstream_attempts');
  },
  async down(db: Knex) {
    await db.schema.dropTableIfExists('pending_sign_ins');
    await db.schema.createTable('upstream_attempts', (table) => {
      table.string('state', 128).primary();
      table.string('interaction_uid', 255).notNullable();
      table.string('nonce', 128).notNullable();
      table.string('code_verifier', 128).notNullable();
      table.bigInteger('expires_at').notNullable();
    });
  },
};

/**
 * Indexes that cost a write per sign-in and serve no frequent query: the audit trail is read newest
 * first by id (broker/accounts/audit.ts), never by `at`, and the CLI's rare `--outcome` filter can
 * walk it by id; an upstream session is looked up by its `sid` and then checked against the issuer
 * (broker/logout/upstreamSessions.ts), so the index need not repeat the issuer's URL in every entry,
 * and only a suspension looks for an account's upstream sessions (a scan of the live sessions, once).
 */
const auditAndUpstreamIndexes: Migration = {
  name: '0024_audit_and_upstream_session_indexes',
  async up(db: Knex) {
    await db.schema.alterTable('audit_events', (table) => {
      table.dropIndex(['at']);
      table.dropIndex(['outcome']);
    });
    await db.schema.alterTable('upstream_sessions', (table) => {
      table.dropIndex(['issuer', 'upstream_sid']);
      table.dropIndex(['account_id']);
      table.index(['upstream_sid']);
    });
  },
  async down(db: Knex) {
    await db.schema.alterTable('upstream_sessions', (table) => {
      table.dropIndex(['upstream_sid']);
      table.index(['account_id']);
      table.index(['issuer', 'upstream_sid']);
    });
    await db.schema.alterTable('audit_events', (table) => {
      table.index(['outcome']);
      table.index(['at']);
    });
  },
};

/**
 * Pending sign-ins on their interaction's row (broker/interactions/pendingSignIns.ts): saving one goes
 * out with the interaction in one statement, and taking one answers the interaction too. Sign-ins
 * waiting for NHSmail when this runs move with their rows, the newest per interaction.
 */
const pendingSignInsOnInteractions: Migration = {
  name: '0025_pending_sign_ins_on_interactions',
  async up(db: Knex) {
    await db.schema.alterTable('oidc_interactions', (table) => {
      table.string('pending_key', 255);
      table.text('pending_data');
    });
    const rows: Array<{
      state: string;
      interaction_uid: string;
      connector_data: string;
      expires_at: number;
    }> = await db('pending_sign_ins').where('expires_at', '>', Date.now()).orderBy('expires_at');
    for (const row of rows)
      await db('oidc_interactions')
        .where({ id: row.interaction_uid })
        .update({
          pending_key: row.state,
          pending_data: JSON.stringify({
            connectorData: JSON.parse(row.connector_data),
            expiresAt: Number(row.expires_at),
          }),
        });
    await db.schema.dropTableIfExists('pending_sign_ins');
  },
  async down(db: Knex) {
    await pendingSignIns.up(db);
    const rows: Array<{ id: string; pending_key: string; pending_data: string }> = await db(
      'oidc_interactions',
    )
      .whereNotNull('pending_key')
      .select('id', 'pending_key', 'pending_data');
    for (const row of rows) {
      const stored = JSON.parse(row.pending_data) as { connectorData: unknown; expiresAt: number };
      await db('pending_sign_ins').insert({
        state: row.pending_key,
        interaction_uid: row.id,
        connector_data: JSON.stringify(stored.connectorData),
        expires_at: stored.expiresAt,
      });
    }
    await db.schema.alterTable('oidc_interactions', (table) => {
      table.dropColumn('pending_key');
      table.dropColumn('pending_data');
    });
  },
};

/**
 * The link from an NHSmail session to the broker session it signed in, on the Session row itself
 * (broker/logout/upstreamSessions.ts): the upstream `sid` as the row's indexed annex key, the issuer and
 * login hint as its annex. Written with the session in one statement, gone with it. Live links move.
 */
const upstreamSessionsOnSessions: Migration = {
  name: '0026_upstream_sessions_on_sessions',
  async up(db: Knex) {
    await db.schema.alterTable('oidc_payloads', (table) => {
      table.string('annex_key', 255);
      table.text('annex');
    });
    await db.schema.alterTable('oidc_payloads', (table) => {
      table.index(['annex_key'], 'oidc_payloads_annex_key_index', {
        predicate: db.whereNotNull('annex_key'),
      });
    });
    const links: Array<{
      broker_session_uid: string;
      issuer: string;
      upstream_sid: string;
      login_hint: string | null;
    }> = await db('upstream_sessions').where('expires_at', '>', Date.now());
    for (const link of links)
      await db('oidc_payloads')
        .where({ model: 'Session', uid: link.broker_session_uid })
        .update({
          annex_key: link.upstream_sid,
          annex: JSON.stringify({ issuer: link.issuer, loginHint: link.login_hint ?? undefined }),
        });
    await db.schema.dropTableIfExists('upstream_sessions');
  },
  async down(db: Knex) {
    await db.schema.createTable('upstream_sessions', (table) => {
      table.string('broker_session_uid', 255).primary();
      table.string('issuer', 500).notNullable();
      table.string('upstream_sid', 255).notNullable();
      table.string('account_id', 36).notNullable();
      table.string('login_hint', 500);
      table.bigInteger('created_at').notNullable();
      table.bigInteger('expires_at').notNullable();
      table.index(['upstream_sid']);
    });
    const sessions: Array<{
      uid: string;
      account_id: string;
      annex_key: string;
      annex: string;
      expires_at: number;
    }> = await db('oidc_payloads')
      .where({ model: 'Session' })
      .whereNotNull('annex_key')
      .select('uid', 'account_id', 'annex_key', 'annex', 'expires_at');
    for (const session of sessions) {
      const data = JSON.parse(session.annex) as { issuer: string; loginHint?: string };
      await db('upstream_sessions').insert({
        broker_session_uid: session.uid,
        issuer: data.issuer,
        upstream_sid: session.annex_key,
        account_id: session.account_id,
        login_hint: data.loginHint ?? null,
        created_at: Date.now(),
        expires_at: Number(session.expires_at),
      });
    }
    await db.schema.alterTable('oidc_payloads', (table) => {
      table.dropIndex(['annex_key'], 'oidc_payloads_annex_key_index');
    });
    await db.schema.alterTable('oidc_payloads', (table) => {
      table.dropColumn('annex_key');
      table.dropColumn('annex');
    });
  },
};

export const brokerMigrations: readonly Migration[] = [
  oidcStorageMigration,
  accounts,
  signIn,
  keyActivationMigration,
  pendingSignIns,
  oidcPayloadOwnersMigration,
  logoutMigration,
  clientRegistryVersionMigration,
  oidcPayloadPartialIndexesMigration,
  oidcInteractionsMigration,
  auditAndUpstreamIndexes,
  pendingSignInsOnInteractions,
  upstreamSessionsOnSessions,
];
export const brokerMigrationTable = 'broker_migrations';
