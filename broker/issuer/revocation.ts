// Ends what the issuer has stored for an account or a client: sessions, grants, codes and tokens, by the
// indexed columns of oidc_payloads (shared/oidc/migration.ts). Sessions, grants and grant-less payloads
// carry their account and client; codes and tokens are reached through their grant, as the adapter
// writes them (shared/oidc/knexAdapter.ts). Rows written before that carry their owners too and are
// matched directly. Kept apart from the provider so the CLI need not load oidc-provider.
import type { Knex } from 'knex';

/**
 * Deletes every payload of a grant owned by `column = value`, then every payload so owned (the grants
 * themselves among them). Two statements, each answered from an index on both databases: PostgreSQL
 * does not combine `col = ? OR grant_id IN (subquery)` from indexes. Callers run it in a transaction.
 */
async function revokeOwned(db: Knex, column: 'account_id' | 'client_id', value: string): Promise<number> {
  const ofGrants = await db('oidc_payloads')
    .whereIn(
      'grant_id',
      // A grant's own grant id: the id its codes and tokens carry.
      db('oidc_payloads')
        .select('grant_id')
        .where({ model: 'Grant', [column]: value }),
    )
    .whereNot('model', 'Grant')
    .delete();
  const owned = await db('oidc_payloads').where(column, value).delete();
  return ofGrants + owned;
}

/** Ends every session, grant and token of an account (used when it is suspended). */
export function revokeAccountTokens(db: Knex, accountId: string): Promise<number> {
  return revokeOwned(db, 'account_id', accountId);
}

/** Ends the tokens and grants issued to a client (used when it is removed). */
export function revokeClientTokens(db: Knex, clientId: string): Promise<number> {
  return revokeOwned(db, 'client_id', clientId);
}
