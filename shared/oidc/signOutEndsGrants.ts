// Codes and tokens that are not bound to the browser session (`expiresWithSession` answering false)
// and still end when the user signs out.
//
// A token bound to the session costs a Session read at every use (oidc-provider's find of a bound
// code or token looks its session up by uid). Unbound, oidc-provider instead marks the client's grant
// as outliving sign-out (`persistsLogout`, lib/helpers/process_response_types.js), and its end_session
// then leaves the grant, and every token of it, alive. Taking the mark off keeps sign-out as it was:
// end_session destroys the grant of every app in the session and revokes its codes and tokens, which
// is what makes a signed-out session's tokens unusable, as a session-bound token's missing session did.
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';

/**
 * Takes the mark off when the code is saved. The session is saved after that, at the end of the
 * request, so the mark is never stored.
 */
export function signOutEndsGrants(provider: Provider): void {
  provider.on('authorization_code.saved', (code) => {
    const { ctx } = Provider as unknown as { ctx?: KoaContextWithOIDC };
    const session = ctx?.oidc?.session;
    if (!session?.authorizations || !code.clientId) return;
    const authorization = session.authorizations[code.clientId] as { persistsLogout?: boolean } | undefined;
    if (authorization) delete authorization.persistsLogout;
  });
}
