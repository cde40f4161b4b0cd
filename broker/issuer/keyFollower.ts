// Follows the signing and cookie keys in the database while the broker runs: re-reads them every
// refresh interval (and at the next scheduled activation or expiry), and hands a changed set to
// `onChange`, which rebuilds the issuer. oidc-provider reads `jwks` and cookie keys only at
// construction, so following a rotation means a new Provider on the same adapter and database.
import type { JWK } from 'jose';
import type { Knex } from 'knex';
import type { Logger } from '../../shared/logger.ts';
import {
  currentCookieKeys,
  ensureCookieKeys,
  ensureSigningKeys,
  nextKeyChange,
  publishedSigningKeys,
} from '../../shared/oidc/keyStore.ts';

export interface IssuerKeys {
  /** Private JWKs to publish, the one to sign with first. */
  signing: JWK[];
  /** Cookie secrets to accept, the one to sign with first. */
  cookies: string[];
  /** Kids and generations in order: equal fingerprints, equal behaviour. Holds no key material. */
  fingerprint: string;
  /** When the keys change next without a rotation (an activation or an expiry), if scheduled. */
  nextChangeAt: number | undefined;
}

/** Reads the keys an instance should use now, making the first ones on an empty database. */
export async function loadIssuerKeys(db: Knex, now = Date.now()): Promise<IssuerKeys> {
  const read = () => Promise.all([publishedSigningKeys(db, now), currentCookieKeys(db, now)]);
  let [signing, cookies] = await read();
  // Two statements per refresh in the steady state; the first start of a database also writes keys.
  if (signing.length === 0 || cookies.length === 0) {
    await Promise.all([ensureSigningKeys(db), ensureCookieKeys(db)]);
    [signing, cookies] = await read();
  }
  return {
    signing: signing.map((key) => key.privateJwk),
    cookies: cookies.map((key) => key.secret),
    fingerprint: `${signing.map((key) => key.kid).join(',')}|${cookies.map((key) => key.generation).join(',')}`,
    nextChangeAt: nextKeyChange([...signing, ...cookies], now),
  };
}

export interface KeyFollower {
  /** Re-reads the keys now; resolves once a changed set is in use. */
  refresh(): Promise<void>;
  /** Stops re-reading; resolves when a read in progress has finished, so the database can close. */
  stop(): Promise<void>;
}

export function followKeys(options: {
  db: Knex;
  logger: Logger;
  refreshSeconds: number;
  current: IssuerKeys;
  onChange: (keys: IssuerKeys) => Promise<void>;
}): KeyFollower {
  const { db, logger, onChange } = options;
  let current = options.current;
  let running: Promise<void> | undefined;
  let stopped = false;
  let nextChange: NodeJS.Timeout | undefined;

  const scheduleNextChange = () => {
    clearTimeout(nextChange);
    if (stopped || current.nextChangeAt === undefined) return;
    // Only when sooner than the next refresh: long timers are left to the interval.
    const delay = current.nextChangeAt - Date.now() + 50;
    if (delay > options.refreshSeconds * 1000) return;
    nextChange = setTimeout(() => void refresh(), Math.max(delay, 0));
    nextChange.unref();
  };

  const read = async () => {
    const keys = await loadIssuerKeys(db);
    if (stopped) return;
    if (keys.fingerprint !== current.fingerprint) {
      await onChange(keys);
      logger.info(
        { signingKid: keys.signing[0]?.kid, publishedKids: keys.signing.map((key) => key.kid) },
        'now using the signing and cookie keys read from the database',
      );
    }
    current = keys;
    scheduleNextChange();
  };

  const refresh = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    running ??= read()
      .catch((error: unknown) => {
        // The keys in use stay valid: the database being away for a while changes nothing.
        logger.warn({ err: error }, 'could not re-read the signing keys; keeping the ones in use');
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  const interval = setInterval(() => void refresh(), options.refreshSeconds * 1000);
  interval.unref();
  scheduleNextChange();
  return {
    refresh,
    async stop() {
      stopped = true;
      clearInterval(interval);
      clearTimeout(nextChange);
      await running;
    },
  };
}
