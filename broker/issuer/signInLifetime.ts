// How long a sign-in lasts (BROKER_SIGN_IN_LIFETIME_SECONDS, 8 hours by default): the broker session,
// the grant behind an app's tokens and every refresh token end a fixed time after the user signed in,
// however often they are used. oidc-provider saves a session again on every request that loads it and
// gives a grant or a refresh token its lifetime when it is made; these lifetimes count down to the end
// of the sign-in instead, from the session's login time (a refresh token carries it as `authTime`).
// Access tokens and id_tokens keep their own short lifetimes but end with the sign-in too, so that no
// token a sign-in issued is valid after it. No statement of their own: everything they read is
// already in hand.
import type { Grant, KoaContextWithOIDC, RefreshToken, Session } from 'oidc-provider';

const epochSeconds = () => Math.floor(Date.now() / 1000);

export interface SignInLifetime {
  Session: (ctx: KoaContextWithOIDC, session: Session) => number;
  Grant: (ctx: KoaContextWithOIDC, grant: Grant) => number;
  RefreshToken: (ctx: KoaContextWithOIDC, token: RefreshToken) => number;
  /** A token's own lifetime of `seconds`, cut short at the end of the sign-in it is issued for. */
  atMost(seconds: number): (ctx: KoaContextWithOIDC) => number;
  /** Whether the sign-in a session holds is over (a session row can outlast it by a second). */
  ended(session: Pick<Session, 'accountId' | 'loginTs'> | undefined): boolean;
}

export function signInLifetime(lifetimeSeconds: number): SignInLifetime {
  // oidc-provider takes a positive whole number of seconds. A sign-in that ended while the request
  // ran is saved for one second more; `ended` refuses it meanwhile.
  const endOf = (signedInAt: number) => signedInAt + lifetimeSeconds;
  const secondsLeft = (signedInAt: number | undefined) =>
    Math.max(1, endOf(signedInAt ?? epochSeconds()) - epochSeconds());
  return {
    Session: (_ctx, session) => secondsLeft(session.loginTs),
    // Grants are made in an authorization request (shared/oidc/firstPartyGrant.ts), with its session.
    Grant: (ctx) => secondsLeft(ctx?.oidc?.session?.loginTs),
    RefreshToken: (_ctx, token) => secondsLeft(token.authTime ?? token.iiat),
    // Issued at the token endpoint, from an authorization code or a refresh token: either carries the
    // sign-in's login time. Elsewhere (no such entity) the token keeps its own lifetime.
    atMost: (seconds) => (ctx) => {
      const { AuthorizationCode: code, RefreshToken: refresh } = ctx?.oidc?.entities ?? {};
      const signedInAt = refresh?.authTime ?? code?.authTime;
      return signedInAt === undefined ? seconds : Math.min(seconds, secondsLeft(signedInAt));
    },
    ended(session) {
      if (session?.accountId === undefined || session.loginTs === undefined) return false;
      return epochSeconds() >= endOf(session.loginTs);
    },
  };
}
