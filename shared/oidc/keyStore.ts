// Signing keys and cookie keys, kept in the database so that restarts and several instances share them.
// Each key has a life: published (and, for cookie keys, accepted) from the moment it is written,
// used to sign from `activates_at`, and dropped at `expires_at`. Running instances re-read the keys
// (keyFollower.ts), so a key is published everywhere before any instance signs with it, provided the
// activation delay exceeds the instances' refresh interval. Generations are primary keys: when two
// instances start at once, one insert wins and both read the same row back.
import { randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Knex } from 'knex';

export interface SigningKey {
  generation: number;
  kid: string;
  alg: string;
  privateJwk: JWK;
  createdAt: number;
  /** From when instances sign with it; published from createdAt. */
  activatesAt: number;
  /** When a newer key took over signing from it. */
  retiredAt: number | null;
  /** When it leaves the JWKS: after every token it signed has expired. */
  expiresAt: number | null;
}

export interface CookieKey {
  generation: number;
  secret: string;
  activatesAt: number;
  expiresAt: number | null;
}

interface SigningKeyRow {
  generation: number;
  kid: string;
  alg: string;
  private_jwk: string;
  created_at: number | string;
  activates_at: number | string | null;
  retired_at: number | string | null;
  expires_at: number | string | null;
}

interface CookieKeyRow {
  generation: number;
  secret: string;
  created_at: number | string;
  activates_at: number | string | null;
  expires_at: number | string | null;
}

// PostgreSQL returns bigint columns as strings.
const time = (value: number | string | null): number | null => (value === null ? null : Number(value));

function toSigningKey(row: SigningKeyRow): SigningKey {
  return {
    generation: Number(row.generation),
    kid: row.kid,
    alg: row.alg,
    privateJwk: JSON.parse(row.private_jwk) as JWK,
    createdAt: Number(row.created_at),
    activatesAt: time(row.activates_at) ?? Number(row.created_at),
    retiredAt: time(row.retired_at),
    expiresAt: time(row.expires_at),
  };
}

function toCookieKey(row: CookieKeyRow): CookieKey {
  return {
    generation: Number(row.generation),
    secret: row.secret,
    activatesAt: time(row.activates_at) ?? Number(row.created_at),
    expiresAt: time(row.expires_at),
  };
}

/**
 * Puts the key in use first (the newest that has activated), then the others newest first:
 * oidc-provider signs with the first key of an algorithm, keygrip signs cookies with the first key,
 * and both verify with any.
 */
export function inUseFirst<Key extends { activatesAt: number }>(newestFirst: Key[], now: number): Key[] {
  const index = newestFirst.findIndex((key) => key.activatesAt <= now);
  if (index <= 0) return newestFirst;
  return [newestFirst[index] as Key, ...newestFirst.slice(0, index), ...newestFirst.slice(index + 1)];
}

/** The next moment at which the key in use or the set of keys changes, if any is scheduled. */
export function nextKeyChange(keys: Array<{ activatesAt: number; expiresAt: number | null }>, now: number) {
  const moments = keys
    .flatMap((key) => [key.activatesAt, key.expiresAt ?? Number.POSITIVE_INFINITY])
    .filter((moment) => moment > now && Number.isFinite(moment));
  return moments.length > 0 ? Math.min(...moments) : undefined;
}

export async function generateSigningJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const jwk = await exportJWK(privateKey);
  jwk.kid = await calculateJwkThumbprint(jwk);
  jwk.alg = 'RS256';
  jwk.use = 'sig';
  return jwk;
}

async function insertSigningKey(
  db: Knex,
  generation: number,
  jwk: JWK,
  times: { createdAt: number; activatesAt: number },
): Promise<void> {
  await db('signing_keys')
    .insert({
      generation,
      kid: jwk.kid,
      alg: 'RS256',
      private_jwk: JSON.stringify(jwk),
      created_at: times.createdAt,
      activates_at: times.activatesAt,
    })
    .onConflict('generation')
    .ignore();
}

/** Keys to publish, the one to sign with first. */
export async function publishedSigningKeys(db: Knex, now = Date.now()): Promise<SigningKey[]> {
  const rows = await db<SigningKeyRow>('signing_keys')
    .where((query) => query.whereNull('expires_at').orWhere('expires_at', '>', now))
    .orderBy('generation', 'desc');
  return inUseFirst(rows.map(toSigningKey), now);
}

export async function listSigningKeys(db: Knex): Promise<SigningKey[]> {
  const rows = await db<SigningKeyRow>('signing_keys').orderBy('generation', 'desc');
  return rows.map(toSigningKey);
}

/** Makes sure a signing key exists and returns the keys to publish. */
export async function ensureSigningKeys(db: Knex): Promise<SigningKey[]> {
  const existing = await publishedSigningKeys(db);
  if (existing.length > 0) return existing;
  // The very first key signs at once: no instance can be publishing another one.
  const timestamp = Date.now();
  await insertSigningKey(db, 1, await generateSigningJwk(), { createdAt: timestamp, activatesAt: timestamp });
  return publishedSigningKeys(db);
}

/**
 * Adds a new signing key, published at once and signing from `activationDelaySeconds` on. The keys it
 * replaces stop signing then and stay published for `keepPreviousSeconds` more, so tokens they signed
 * still verify.
 */
export async function rotateSigningKey(
  db: Knex,
  keepPreviousSeconds: number,
  activationDelaySeconds = 0,
): Promise<SigningKey> {
  const jwk = await generateSigningJwk();
  return db.transaction(async (trx) => {
    const latest = (await trx('signing_keys').max({ generation: 'generation' }).first()) as
      | { generation?: number | null }
      | undefined;
    const generation = Number(latest?.generation ?? 0) + 1;
    const createdAt = Date.now();
    const activatesAt = createdAt + activationDelaySeconds * 1000;
    await trx('signing_keys')
      .whereNull('retired_at')
      .update({ retired_at: activatesAt, expires_at: activatesAt + keepPreviousSeconds * 1000 });
    await insertSigningKey(trx, generation, jwk, { createdAt, activatesAt });
    const row = await trx<SigningKeyRow>('signing_keys').where({ generation }).first();
    if (!row) throw new Error('signing key rotation lost its insert');
    return toSigningKey(row);
  });
}

/** Cookie keys to accept, the one to sign with first. */
export async function currentCookieKeys(db: Knex, now = Date.now()): Promise<CookieKey[]> {
  const rows = await db<CookieKeyRow>('cookie_keys')
    .where((query) => query.whereNull('expires_at').orWhere('expires_at', '>', now))
    .orderBy('generation', 'desc');
  return inUseFirst(rows.map(toCookieKey), now);
}

/** Cookie signing secrets for Koa's keygrip, the one to sign with first; generated once. */
export async function ensureCookieKeys(db: Knex): Promise<string[]> {
  const existing = await currentCookieKeys(db);
  if (existing.length > 0) return existing.map((key) => key.secret);
  const timestamp = Date.now();
  await db('cookie_keys')
    .insert({
      generation: 1,
      secret: randomBytes(32).toString('base64url'),
      created_at: timestamp,
      activates_at: timestamp,
    })
    .onConflict('generation')
    .ignore();
  return (await currentCookieKeys(db)).map((key) => key.secret);
}

/**
 * Adds a new cookie key, accepted at once and signing from `activationDelaySeconds` on; the previous
 * ones keep verifying for `keepPreviousSeconds` after that (a session cookie's lifetime).
 */
export async function rotateCookieKey(
  db: Knex,
  keepPreviousSeconds: number,
  activationDelaySeconds = 0,
): Promise<CookieKey> {
  return db.transaction(async (trx) => {
    const latest = (await trx('cookie_keys').max({ generation: 'generation' }).first()) as
      | { generation?: number | null }
      | undefined;
    const generation = Number(latest?.generation ?? 0) + 1;
    const createdAt = Date.now();
    const activatesAt = createdAt + activationDelaySeconds * 1000;
    await trx('cookie_keys')
      .whereNull('expires_at')
      .update({ expires_at: activatesAt + keepPreviousSeconds * 1000 });
    await trx('cookie_keys').insert({
      generation,
      secret: randomBytes(32).toString('base64url'),
      created_at: createdAt,
      activates_at: activatesAt,
    });
    const row = await trx<CookieKeyRow>('cookie_keys').where({ generation }).first();
    if (!row) throw new Error('cookie key rotation lost its insert');
    return toCookieKey(row);
  });
}
