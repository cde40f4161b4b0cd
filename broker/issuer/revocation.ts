// Ends what the issuer has stored for an account or a client: sessions, grants, codes and tokens. The
// payloads are JSON, matched with LIKE (wildcards in the value escaped) so this works on SQLite and
// PostgreSQL alike. Kept apart from the provider so the CLI need not load oidc-provider.
import type { Knex } from 'knex';

function deletePayloadsWith(db: Knex, property: 'accountId' | 'clientId', value: string): Promise<number> {
  const escaped = JSON.stringify(value).replace(/[\\%_]/g, (character) => `\\${character}`);
  return db('oidc_payloads')
    .whereRaw(`payload like ? escape '\\'`, [`%"${property}":${escaped}%`])
    .delete();
}

/** Ends every session, grant and token of an account (used when it is suspended). */
export function revokeAccountTokens(db: Knex, accountId: string): Promise<number> {
  return deletePayloadsWith(db, 'accountId', accountId);
}

/** Ends the tokens and grants issued to a client (used when it is removed). */
export function revokeClientTokens(db: Knex, clientId: string): Promise<number> {
  return deletePayloadsWith(db, 'clientId', clientId);
}
