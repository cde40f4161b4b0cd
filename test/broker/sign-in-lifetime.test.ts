// A sign-in ends a fixed time after the user signed in (BROKER_SIGN_IN_LIFETIME_SECONDS, here a few
// seconds): using the broker session or refreshing tokens before then does not push the end later, and
// after it the browser must sign in again and the app's refresh token is refused. The tests wait for
// the end to pass; they assert what the browser and the app are then told, never how long anything took.
import test from 'ava';
import * as oidc from 'openid-client';
import type { Cookie } from 'tough-cookie';
import type { HttpSession } from '../helpers/httpSession.ts';
import {
  authorizationRequest,
  authorize,
  browse,
  oauthErrorOf,
  signIn,
  startRelyingPartyFixture,
} from '../helpers/relyingParty.ts';

// Long enough that a sign-in and a silent sign-in finish well inside it on a busy machine.
const lifetimeSeconds = 10;
const { system, client, close } = await startRelyingPartyFixture({
  BROKER_SIGN_IN_LIFETIME_SECONDS: String(lifetimeSeconds),
});
test.after.always(close);

const sessionCookieName = 'cqrs_broker_session';

async function brokerSessionCookies(session: HttpSession): Promise<Cookie[]> {
  const cookies = await session.jar.getCookies(system.brokerUrl);
  return cookies.filter((cookie) => cookie.key.startsWith(sessionCookieName));
}

/** When the browser's broker session cookie expires (ms since the epoch): the end of the sign-in. */
async function sessionCookieExpiry(session: HttpSession): Promise<number> {
  const cookie = (await brokerSessionCookies(session)).find((each) => each.key === sessionCookieName);
  if (!(cookie?.expires instanceof Date)) throw new Error('the broker session cookie has no expiry');
  return cookie.expires.getTime();
}

/** Keeps sending the session cookie after it expires, as a browser with a wrong clock would. */
async function keepSessionCookie(session: HttpSession): Promise<void> {
  for (const cookie of await brokerSessionCookies(session)) {
    const kept = cookie.clone();
    if (!kept) throw new Error('the session cookie could not be copied');
    kept.expires = 'Infinity';
    await session.jar.setCookie(kept, system.brokerUrl);
  }
}

async function waitUntil(epochMs: number): Promise<void> {
  const wait = epochMs - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

test('using the broker session does not extend it: after the end prompt=none answers login_required', async (t) => {
  const { session } = await signIn(client, 'tom.jones@nhs.net');
  const end = await sessionCookieExpiry(session);
  t.true(end > Date.now(), 'the session cookie lasts until the end of the sign-in');

  // Halfway, in a later second than the sign-in: a silent sign-in still works...
  await waitUntil(end - (lifetimeSeconds * 1000) / 2);
  const silent = await authorize(client, session, undefined, { prompt: 'none' });
  t.false(silent.sawNhsmailLogin);
  t.truthy(silent.callback.searchParams.get('code'), silent.callback.href);
  // ...and leaves the end where it was.
  t.is(await sessionCookieExpiry(session), end);

  // Past the original end, the broker has ended the session, even for a browser that still sends it.
  await keepSessionCookie(session);
  await waitUntil(end + 1000);
  const { url } = await authorizationRequest(client, { prompt: 'none' });
  const { callback } = await browse(session, url.href, client.redirectUri);
  t.is(callback?.searchParams.get('error'), 'login_required');
  t.is(callback?.searchParams.get('code'), null);
});

test('no token outlives the sign-in: after its end the refresh grant is refused', async (t) => {
  const { session, tokens } = await signIn(client, 'jane.smith@nhs.net');
  const end = await sessionCookieExpiry(session);
  if (!tokens.refresh_token) throw new Error('no refresh token issued');
  // So do the first tokens, from the authorization code.
  t.is(tokens.claims()?.exp, end / 1000, 'the first id_token ends with the sign-in');
  const firstAccess = await oidc.tokenIntrospection(client.config, tokens.access_token);
  t.is(Number(firstAccess.exp), end / 1000, 'the first access token ends with the sign-in');

  // Halfway, a refresh works and rotates, and the new refresh token ends with the sign-in.
  await waitUntil(end - (lifetimeSeconds * 1000) / 2);
  const refreshed = await oidc.refreshTokenGrant(client.config, tokens.refresh_token);
  t.truthy(refreshed.access_token);
  const newest = refreshed.refresh_token;
  if (!newest) throw new Error('the refresh gave no new refresh token');
  t.not(newest, tokens.refresh_token);
  const described = await oidc.tokenIntrospection(client.config, newest);
  t.true(described.active);
  t.is(Number(described.exp), end / 1000, 'the rotated refresh token ends with the sign-in');
  // The access token and the id_token keep their own lifetimes (10 minutes, an hour) only up to the
  // end of the sign-in.
  const accessToken = await oidc.tokenIntrospection(client.config, refreshed.access_token);
  t.is(Number(accessToken.exp), end / 1000, 'the access token ends with the sign-in');
  t.is(refreshed.claims()?.exp, end / 1000, 'the id_token ends with the sign-in');

  await waitUntil(end + 1000);
  t.is(await oauthErrorOf(oidc.refreshTokenGrant(client.config, newest)), 'invalid_grant');
});

test('after the sign-in has ended, the browser signs in again and gets a new one', async (t) => {
  const { session } = await signIn(client, 'tom.jones@nhs.net');
  const end = await sessionCookieExpiry(session);
  await waitUntil(end + 1000);
  const again = await authorize(client, session, 'tom.jones@nhs.net');
  t.truthy(again.callback.searchParams.get('code'), again.callback.href);
  t.true((await sessionCookieExpiry(session)) > end, 'a new sign-in, with an end of its own');
});
