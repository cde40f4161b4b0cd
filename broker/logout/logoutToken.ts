// Logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.4), signed with jose by the broker's signing
// key: iss, aud, iat, exp, jti, sub, sid and the back-channel logout event, typ logout+jwt, never a nonce.
import { randomUUID } from 'node:crypto';
import { importJWK, type JWK, SignJWT } from 'jose';

export const backchannelLogoutEvent = 'http://schemas.openid.net/event/backchannel-logout';

/** Short-lived: a token is signed afresh for each attempt. */
const lifetimeSeconds = 120;

export interface LogoutTokenClaims {
  issuer: string;
  clientId: string;
  sub: string;
  sid: string | undefined;
}

export async function signLogoutToken(claims: LogoutTokenClaims, key: JWK): Promise<string> {
  const alg = key.alg ?? 'RS256';
  const privateKey = await importJWK(key, alg);
  const token = new SignJWT({
    sub: claims.sub,
    ...(claims.sid ? { sid: claims.sid } : {}),
    events: { [backchannelLogoutEvent]: {} },
  })
    .setProtectedHeader({ alg, typ: 'logout+jwt', ...(key.kid ? { kid: key.kid } : {}) })
    .setIssuer(claims.issuer)
    .setAudience(claims.clientId)
    .setIssuedAt()
    .setExpirationTime(`${lifetimeSeconds}s`)
    .setJti(randomUUID());
  return token.sign(privateKey);
}
