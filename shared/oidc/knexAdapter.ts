// oidc-provider storage on knex: one table for every model's payloads, plus the client registry.
// Honours expiry on every read and makes `consume` atomic, so an authorization code or a refresh
// token can be redeemed once even when two requests race (the loser gets invalid_grant).
import type { Knex } from 'knex';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { errors } from 'oidc-provider';
import { clientMetadataFromRow, type ClientRow } from './clientStore.ts';

export type AdapterConstructor = new (name: string) => Adapter;

export function createKnexAdapter(db: Knex): AdapterConstructor {
  return class KnexAdapter implements Adapter {
    readonly model: string;

    constructor(model: string) {
      this.model = model;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      if (this.model === 'Client')
        throw new Error('clients are managed with the CLI, not through the provider');
      const row = {
        model: this.model,
        id,
        payload: JSON.stringify(payload),
        grant_id: payload.grantId ?? null,
        user_code: payload.userCode ?? null,
        uid: payload.uid ?? null,
        expires_at: expiresIn ? Date.now() + expiresIn * 1000 : null,
      };
      await db('oidc_payloads').insert(row).onConflict(['model', 'id']).merge();
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.model === 'Client') {
        const client = await db<ClientRow>('oauth_clients').where({ client_id: id }).first();
        return client ? clientMetadataFromRow(client) : undefined;
      }
      return this.findBy({ id });
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return this.findBy({ user_code: userCode });
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return this.findBy({ uid });
    }

    async consume(id: string): Promise<void> {
      const updated = await db('oidc_payloads')
        .where({ model: this.model, id })
        .whereNull('consumed_at')
        .update({ consumed_at: Date.now() });
      if (updated === 0) {
        // Lost a race with another redemption of the same code or refresh token: treat it as the reuse
        // it is and revoke everything issued from the grant (RFC 6749 §4.1.2, RFC 9700 §4.14.2).
        const row = await db('oidc_payloads').where({ model: this.model, id }).first('grant_id');
        if (row?.grant_id) await db('oidc_payloads').where({ grant_id: row.grant_id }).delete();
        throw new errors.InvalidGrant(`${this.model} already consumed`);
      }
    }

    async destroy(id: string): Promise<void> {
      await db('oidc_payloads').where({ model: this.model, id }).delete();
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await db('oidc_payloads').where({ model: this.model, grant_id: grantId }).delete();
    }

    private async findBy(where: Record<string, string>): Promise<AdapterPayload | undefined> {
      const row = await db<PayloadRow>('oidc_payloads')
        .where({ model: this.model, ...where })
        .andWhere((query) => query.whereNull('expires_at').orWhere('expires_at', '>', Date.now()))
        .first();
      if (!row) return undefined;
      const payload = JSON.parse(row.payload) as AdapterPayload;
      if (row.consumed_at) payload.consumed = Math.floor(row.consumed_at / 1000);
      return payload;
    }
  };
}

interface PayloadRow {
  model: string;
  id: string;
  payload: string;
  expires_at: number | null;
  consumed_at: number | null;
}

/** Deletes expired payloads; services call this on a timer so the table does not grow forever. */
export async function deleteExpiredPayloads(db: Knex): Promise<number> {
  return db('oidc_payloads').whereNotNull('expires_at').andWhere('expires_at', '<=', Date.now()).delete();
}
