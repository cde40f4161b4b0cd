// Where the mock's oidc-provider keeps what it stores. Sessions, grants, refresh tokens and clients go
// to the database (single sign-on survives a restart; the control API's reset reaches them). The
// short-lived, single-use artefacts of one sign-in stay in this process's memory: the interaction
// (an hour at most), the authorization code (a minute) and the access token (an hour, which only the
// userinfo endpoint reads). That saves ten SQL statements of the twenty a sign-in cost, at the price
// of a restart dropping sign-ins in flight and of the mock being one instance: a test double, not a
// cluster. Memory honours expiry on every read and `consume` is atomic (one thread, no await).
import type { Knex } from 'knex';
import { type Adapter, type AdapterPayload, errors } from 'oidc-provider';
import { createKnexAdapter } from '../../shared/oidc/knexAdapter.ts';

const inMemory = new Set(['Interaction', 'AuthorizationCode', 'AccessToken']);
const sweepEveryMs = 60_000;

interface Entry {
  payload: AdapterPayload;
  expiresAt: number;
}

function memoryAdapter(model: string): Adapter {
  const entries = new Map<string, Entry>();
  let sweptAt = Date.now();

  const sweep = (now: number) => {
    sweptAt = now;
    for (const [id, entry] of entries) if (entry.expiresAt <= now) entries.delete(id);
  };
  const live = (id: string) => {
    const entry = entries.get(id);
    if (entry && entry.expiresAt > Date.now()) return entry;
    entries.delete(id);
    return undefined;
  };

  return {
    async upsert(id, payload, expiresIn) {
      const now = Date.now();
      if (now - sweptAt > sweepEveryMs) sweep(now);
      entries.set(id, { payload: { ...payload }, expiresAt: now + (expiresIn ?? 3600) * 1000 });
    },
    async find(id) {
      const entry = live(id);
      return entry && { ...entry.payload };
    },
    async findByUid(uid) {
      for (const [id, entry] of entries) if (entry.payload.uid === uid) return this.find(id);
      return undefined;
    },
    async findByUserCode() {
      return undefined;
    },
    async consume(id) {
      const entry = live(id);
      if (!entry) throw new errors.InvalidGrant(`${model} not found`);
      // Lost a race with another redemption: the reuse revokes what the grant issued here.
      if (entry.payload.consumed) {
        const { grantId } = entry.payload;
        if (grantId)
          for (const [key, other] of entries) if (other.payload.grantId === grantId) entries.delete(key);
        throw new errors.InvalidGrant(`${model} already consumed`);
      }
      entry.payload.consumed = Math.floor(Date.now() / 1000);
    },
    async destroy(id) {
      entries.delete(id);
    },
    async revokeByGrantId(grantId) {
      for (const [id, entry] of entries) if (entry.payload.grantId === grantId) entries.delete(id);
    },
  };
}

export function mockStorage(db: Knex): (model: string) => Adapter {
  const Database = createKnexAdapter(db);
  return (model) => (inMemory.has(model) ? memoryAdapter(model) : new Database(model));
}
