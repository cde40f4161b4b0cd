// The keys Koa and oidc-provider sign cookies with: keygrip's signatures (HMAC-SHA1, base64url, the
// first secret signs and every secret verifies), so cookies already in browsers stay valid. Only the
// comparison differs. keygrip compares with tsscmp, which HMACs both strings under a fresh random
// Buffer key. On Node 24.18 and later an HMAC keyed by a Buffer costs about 10 µs more than one keyed
// by a string. The broker's profile showed about 0.3 CPU-ms per sign-in in those compares
// (README.md, "Benchmark"). Node's timingSafeEqual does the same constant-time job directly.
import { timingSafeEqual } from 'node:crypto';
import Keygrip from 'keygrip';

/**
 * For Koa's `app.keys` and oidc-provider's `cookies.keys`, which take a keygrip in place of an array of
 * secrets. `index` answers which secret signed the data (0 is the current one), or -1.
 */
export interface SignedCookieKeys extends Keygrip {
  /** The secrets in use, the signing one first. */
  readonly secrets: readonly string[];
}

export function signedCookieKeys(secrets: readonly string[]): SignedCookieKeys {
  if (secrets.length === 0) throw new Error('at least one cookie secret is needed');
  // One keygrip per secret: keygrip signs with its first key only.
  const signers = secrets.map((secret) => new Keygrip([secret]));
  const index = (data: string, digest: string): number => {
    const given = Buffer.from(String(digest));
    return signers.findIndex((signer) => {
      const expected = Buffer.from(signer.sign(data));
      // A signature's length is public (a fixed-size HMAC); only its content must not leak.
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
  };
  const current = signers[0] as Keygrip;
  return {
    secrets: Object.freeze([...secrets]),
    sign: (data) => current.sign(data),
    verify: (data, digest) => index(data, digest) >= 0,
    index,
  };
}
