// Signing keys and cookie keys, generated once and kept in the database so that restarts and several
// instances share them. Generations are primary keys: when two instances start at once, one insert
// wins and both read the same row back.
import { randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Knex } from 'knex';

export interface SigningKey {
  generation: number;
  kid: string;
  alg: string;
  privateJwk: JWK;
  createdAt: number;
  retiredAt: number | null;
  expiresAt: number | null;
}

interface SigningKeyRow {
  generation: number;
  kid: string;
  alg: string;
  private_jwk: string;
  created_at: number;
  retired_at: number | null;
  expires_at: number | null;
}

function toSigningKey(row: SigningKeyRow): SigningKey {
  return {
    generation: row.generation,
    kid: row.kid,
    alg: row.alg,
    privateJwk: JSON.parse(row.private_jwk) as JWK,
    createdAt: row.created_at,
    retiredAt: row.retired_at,
    expiresAt: row.expires_at,
  };
}

export async function generateSigningJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const jwk = await exportJWK(privateKey);
  jwk.kid = await calculateJwkThumbprint(jwk);
  jwk.alg = 'RS256';
  jwk.use = 'sig';
  return jwk;
}

async function insertKey(db: Knex, generation: number, jwk: JWK): Promise<void> {
  await db('signing_keys')
    .insert({
      generation,
      kid: jwk.kid,
      alg: 'RS256',
      private_jwk: JSON.stringify(jwk),
      created_at: Date.now(),
    })
    .onConflict('generation')
    .ignore();
}

/** Keys to publish, the signing key first (oidc-provider signs with the first key of an algorithm). */
export async function publishedSigningKeys(db: Knex): Promise<SigningKey[]> {
  const rows = await db<SigningKeyRow>('signing_keys')
    .where((query) => query.whereNull('expires_at').orWhere('expires_at', '>', Date.now()))
    .orderBy('generation', 'desc');
  return rows.map(toSigningKey);
}

export async function listSigningKeys(db: Knex): Promise<SigningKey[]> {
  const rows = await db<SigningKeyRow>('signing_keys').orderBy('generation', 'desc');
  return rows.map(toSigningKey);
}

/** Makes sure a signing key exists and returns the keys to publish. */
export async function ensureSigningKeys(db: Knex): Promise<SigningKey[]> {
  const existing = await publishedSigningKeys(db);
  if (existing.length > 0) return existing;
  await insertKey(db, 1, await generateSigningJwk());
  return publishedSigningKeys(db);
}

/**
 * Adds a new signing key; the previous one stays published until `keepPreviousSeconds` have passed,
 * so tokens it signed still verify. Running instances sign with the new key after their next start.
 */
export async function rotateSigningKey(db: Knex, keepPreviousSeconds: number): Promise<SigningKey> {
  const jwk = await generateSigningJwk();
  return db.transaction(async (trx) => {
    const latest = (await trx('signing_keys').max({ generation: 'generation' }).first()) as
      | { generation?: number | null }
      | undefined;
    const generation = Number(latest?.generation ?? 0) + 1;
    const timestamp = Date.now();
    await trx('signing_keys')
      .whereNull('retired_at')
      .update({ retired_at: timestamp, expires_at: timestamp + keepPreviousSeconds * 1000 });
    await insertKey(trx, generation, jwk);
    const row = await trx<SigningKeyRow>('signing_keys').where({ generation }).first();
    if (!row) throw new Error('signing key rotation lost its insert');
    return toSigningKey(row);
  });
}

/** Cookie signing keys (newest first) for Koa's keygrip; generated once. */
export async function ensureCookieKeys(db: Knex): Promise<string[]> {
  const read = async () =>
    (await db('cookie_keys').orderBy('generation', 'desc').select('secret')).map(
      (row: { secret: string }) => row.secret,
    );
  const existing = await read();
  if (existing.length > 0) return existing;
  await db('cookie_keys')
    .insert({ generation: 1, secret: randomBytes(32).toString('base64url'), created_at: Date.now() })
    .onConflict('generation')
    .ignore();
  return read();
}
