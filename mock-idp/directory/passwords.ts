// Password hashing for NHSmail accounts: argon2id at the OWASP parameters (m=19456 KiB, t=2, p=1).
import argon2 from 'argon2';

const options = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, options);
}

// A hash of nothing anyone can type, verified against for unknown users so that an unknown user ID
// costs the same time as a wrong password.
let decoyHash: Promise<string> | undefined;

export async function verifyPassword(hash: string | undefined, password: string): Promise<boolean> {
  if (hash === undefined) {
    decoyHash ??= argon2.hash(`decoy-${Math.random()}`, options);
    await argon2.verify(await decoyHash, password).catch(() => false);
    return false;
  }
  return argon2.verify(hash, password).catch(() => false);
}

export const passwordRules = {
  minimumLength: 8,
  describe: 'at least 8 characters, with upper and lower case letters and a number',
  check(password: string): boolean {
    return password.length >= 8 && /[a-z]/.test(password) && /[A-Z]/.test(password) && /[0-9]/.test(password);
  },
};
