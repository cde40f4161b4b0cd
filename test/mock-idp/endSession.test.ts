// The mock's end_session as Entra's (docs/testing-with-the-mock.md, "Signing out"): id_tokens carry
// `sid` and `login_hint`; a matching logout_hint signs out at once and returns to a registered
// post_logout_redirect_uri with the state; otherwise the user is asked; an unregistered URI is refused;
// and the other signed-in clients' front-channel logout URLs are loaded with `iss` and `sid`. Signing
// out ends the codes and tokens issued in the session; a session that merely runs out does not.
import test from 'ava';
import * as oidc from 'openid-client';
import { seededPassword } from '../../seeds/personas.ts';
import { putClient } from '../../shared/oidc/clientStore.ts';
import { HttpSession, mainText } from '../helpers/httpSession.ts';
import { mockAccount } from '../helpers/mockControl.ts';
import { startSystem, type TestSystem } from '../helpers/system.ts';

const redirectUri = 'https://probe.example/callback';
const signedOutUri = 'https://probe.example/signed-out';
const frontchannelUri = 'https://probe.example/frontchannel-logout';
let system: TestSystem;
let config: oidc.Configuration;
test.before(async () => {
  system = await startSystem();
  await putClient(system.mockDb, {
    clientId: 'probe',
    secret: 'probe-secret-for-the-tests',
    metadata: {
      redirect_uris: [redirectUri],
      post_logout_redirect_uris: [signedOutUri],
      frontchannel_logout_uri: frontchannelUri,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
      subject_type: 'pairwise',
    },
  });
  await system.mock.refreshClients();
  config = await oidc.discovery(
    new URL(system.mockConfig.issuer),
    'probe',
    undefined,
    oidc.ClientSecretPost('probe-secret-for-the-tests'),
    { execute: [oidc.allowInsecureRequests] },
  );
});
test.after.always(async () => {
  await system?.close();
});

/** Signs in at the mock as the probe app, stopping at its redirect URI (never contacted). */
async function signIn(userId: string, session = new HttpSession()) {
  const { callback, redeem } = await codeFor(userId, session);
  const tokens = await redeem(callback);
  return {
    session,
    claims: tokens.claims(),
    idToken: tokens.id_token ?? '',
    accessToken: tokens.access_token,
  };
}

/** Signs in at the mock as the probe app up to the code at its redirect URI, not yet redeemed. */
async function codeFor(userId: string, session = new HttpSession()) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile email',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  let page = await session.get(url.href, { follow: false });
  for (let hop = 0; hop < 10; hop += 1) {
    if (page.$('input[name=password]').length > 0)
      page = await session.submit(
        page,
        'form:has(input[name=password])',
        { username: userId, password: seededPassword },
        { follow: false },
      );
    const location = page.headers.get('location');
    if (!location) throw new Error(`sign-in stopped at ${page.url}: ${mainText(page).slice(0, 300)}`);
    const next = new URL(location, page.url);
    if (next.href.startsWith(redirectUri)) {
      const redeem = (callback: URL) =>
        oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
      return { session, callback: next, redeem };
    }
    page = await session.get(next.href, { follow: false });
  }
  throw new Error('too many redirects');
}

async function signedInStatus(session: HttpSession): Promise<string> {
  return (await session.get(`${system.mockUrl}/`)).$('[data-testid=signed-in-status]').text().trim();
}

test('id_tokens carry sid and login_hint; a matching logout_hint signs out at once', async (t) => {
  const { session, claims, idToken } = await signIn('jane.smith@nhs.net');
  t.is(typeof claims?.sid, 'string');
  t.is(typeof claims?.login_hint, 'string');
  t.regex(await signedInStatus(session), /as\s+jane\.smith@nhs\.net/);
  const url = oidc.buildEndSessionUrl(config, {
    id_token_hint: idToken,
    post_logout_redirect_uri: signedOutUri,
    logout_hint: String(claims?.login_hint),
    state: 'probe-state',
  });
  const answer = await session.get(url.href, { follow: false });
  t.is(answer.status, 303);
  t.is(answer.headers.get('location'), `${signedOutUri}?state=probe-state`);
  t.regex(await signedInStatus(session), /^Not signed in/);
});

test('without a matching logout_hint the user is asked, and the other clients are told', async (t) => {
  const { session, claims } = await signIn('tom.jones@nhs.net');
  const url = oidc.buildEndSessionUrl(config, { client_id: 'probe', logout_hint: 'someone-else' });
  const confirmation = await session.get(url.href);
  t.is(confirmation.$('[data-testid=page-heading]').text().trim(), 'Sign out of NHSmail');
  t.regex(await signedInStatus(session), /as\s+tom\.jones@nhs\.net/, 'nothing ended yet');
  // Signed out from the mock's own link (no client asked): the probe app is told by front-channel.
  const own = await session.get(`${system.mockConfig.issuer.replace(/\/v2\.0$/, '')}/oauth2/v2.0/logout`);
  const done = await session.submit(own, '#op\\.logoutForm', { logout: 'yes' });
  t.is(done.$('[data-testid=page-heading]').text().trim(), 'You have signed out of NHSmail');
  const frame = new URL(done.$('iframe[data-testid=frontchannel-logout]').attr('src') ?? '');
  t.is(`${frame.origin}${frame.pathname}`, frontchannelUri);
  t.is(frame.searchParams.get('iss'), system.mockConfig.issuer);
  t.is(frame.searchParams.get('sid'), String(claims?.sid));
  t.regex(await signedInStatus(session), /^Not signed in/);
});

test('an unregistered post_logout_redirect_uri is refused', async (t) => {
  const { session, idToken } = await signIn('jane.smith@nhs.net');
  const url = oidc.buildEndSessionUrl(config, {
    id_token_hint: idToken,
    post_logout_redirect_uri: 'https://elsewhere.example/',
  });
  const refused = await session.get(url.href, { follow: false });
  t.is(refused.status, 400);
  t.is(refused.headers.get('location'), null);
  t.regex(await signedInStatus(session), /as\s+jane\.smith@nhs\.net/);
});

test('signing out at the mock ends a code not yet redeemed and the access tokens issued', async (t) => {
  const first = await signIn('tom.jones@nhs.net');
  t.is(
    (await oidc.fetchUserInfo(config, first.accessToken, oidc.skipSubjectCheck)).email,
    'tom.jones@nhs.net',
  );
  const { session, callback, redeem } = await codeFor('tom.jones@nhs.net', first.session);
  const own = await session.get(`${system.mockConfig.issuer.replace(/\/v2\.0$/, '')}/oauth2/v2.0/logout`);
  await session.submit(own, '#op\\.logoutForm', { logout: 'yes' });
  t.regex(await signedInStatus(session), /^Not signed in/);
  const refused = await t.throwsAsync(redeem(callback));
  t.is((refused as { error?: string }).error, 'invalid_grant');
  const unauthorised = await t.throwsAsync(
    oidc.fetchUserInfo(config, first.accessToken, oidc.skipSubjectCheck),
  );
  t.is((unauthorised as { status?: number }).status, 401, 'the access token is dead too');
});

test('a code is redeemed although the NHSmail session behind it has ended since, as at Entra', async (t) => {
  // An account no other test here signs in with, so that only this browser's session runs out.
  const email = 'no.cqrs@nhs.net';
  const { session, callback, redeem } = await codeFor(email);
  // The session runs out (its eight hours pass) between the redirect and the token request.
  const { oid } = await mockAccount(system, email);
  const ended = await system
    .mockDb('oidc_payloads')
    .where({ model: 'Session', account_id: oid })
    .update({ expires_at: Date.now() - 1000 });
  t.is(ended, 1);
  t.regex(await signedInStatus(session), /^Not signed in/, 'the browser has no NHSmail session now');
  const tokens = await redeem(callback);
  t.is(tokens.claims()?.preferred_username, email);
  t.is((await oidc.fetchUserInfo(config, tokens.access_token, oidc.skipSubjectCheck)).email, email);
});
