// Ends what the issuer has stored for an account or a client: sessions, grants, codes and tokens, by the
// indexed owner columns of oidc_payloads (shared/oidc/migration.ts). Kept apart from the provider so
// the CLI need not load oidc-provider.
import type { Knex } from 'knex';

/** Ends every session, grant and token of an account (used when it is suspended). */
export function revokeAccountTokens(db: Knex, accountId: string): Promise<number> {
  return db('oidc_payloads').where({ account_id: accountId }).delete();
}

/** Ends the tokens and grants issued to a client (used when it is removed). */
export function revokeClientTokens(db: Knex, clientId: string): Promise<number> {
  return db('oidc_payloads').where({ client_id: clientId }).delete();
}
