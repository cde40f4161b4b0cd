// Single sign-out across apps and NHSmail (docs/connect-your-app.md, docs/testing-with-the-mock.md):
// signing out of one app ends the user's other apps and the NHSmail session; signing out at NHSmail
// (the mock, as Entra does) ends the broker's and the apps' sessions by front-channel logout.
import test from 'ava';
import { jwtVerify, createRemoteJWKSet } from 'jose';
import * as oidc from 'openid-client';
import { eventually } from '../helpers/eventually.ts';
import { signInAs } from '../helpers/flows.ts';
import type { HttpSession } from '../helpers/httpSession.ts';
import {
  authorizationRequest,
  authorize,
  oauthErrorOf,
  type RelyingPartyHost,
  redeem,
  registerClient,
  startRelyingPartyHost,
  type TestClient,
} from '../helpers/relyingParty.ts';
import { startSystem, type TestSystem } from '../helpers/system.ts';
import { personaByEmail, seededPassword } from '../../seeds/personas.ts';
import { signLogoutToken } from '../../broker/logout/logoutToken.ts';
import { publishedSigningKeys } from '../../shared/oidc/keyStore.ts';
import { readAppSession } from './appSession.ts';

let system: TestSystem;
let host: RelyingPartyHost;
let otherApp: TestClient;
test.before(async () => {
  system = await startSystem();
  host = await startRelyingPartyHost();
  otherApp = await registerClient(system, host, {
    backchannel_logout_uri: `${host.url}/other-app/backchannel`,
    backchannel_logout_session_required: true,
  });
});
test.after.always(async () => {
  await host?.close();
  await system?.close();
});

/** Signs in to the other app in the same browser (single sign-on: no password asked). */
async function signInToOtherApp(session: HttpSession) {
  const { pending, callback } = await authorize(otherApp, session, undefined);
  return redeem(otherApp, callback, pending);
}

async function mockHomeStatus(session: HttpSession): Promise<string> {
  const home = await session.get(`${system.mockUrl}/`);
  return home.$('[data-testid=signed-in-status]').text().trim();
}

function logoutTokensFor(sid: unknown): string[] {
  return host.posts
    .filter((post) => post.path === '/other-app/backchannel')
    .map((post) => post.body.get('logout_token') ?? '')
    .filter(
      (token) =>
        token && JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).sid === sid,
    );
}

test('signing out of the CQRS app ends the other app’s session and the NHSmail session', async (t) => {
  const { session, page } = await signInAs(system, 'jane.smith@nhs.net');
  t.is(page.url, `${system.appUrl}/messages`);
  const otherTokens = await signInToOtherApp(session);
  const otherSid = otherTokens.claims()?.sid;
  t.is(typeof otherSid, 'string');
  t.regex(await mockHomeStatus(session), /Signed in to the mock NHSmail as\s+jane\.smith@nhs\.net/);

  const confirmation = await session.submit(page, 'form[action="/auth/logout"]');
  const landing = await session.submit(confirmation, '#op\\.logoutForm', { logout: 'yes' });
  t.is(landing.url, `${system.appUrl}/?state=${new URL(landing.url).searchParams.get('state')}`);
  t.regex(landing.$('main').text(), /You have signed out/);
  t.true(
    landing.trail.some((url) => url.startsWith(`${system.mockUrl}/`) && url.includes('/oauth2/v2.0/logout?')),
    'the browser went through NHSmail’s end_session',
  );

  // The other app is told by back-channel logout, with its own sid and the user's sub.
  t.true(await eventually(() => logoutTokensFor(otherSid).length === 1));
  const jwks = createRemoteJWKSet(new URL(`${system.brokerUrl}/jwks`));
  const { payload } = await jwtVerify(logoutTokensFor(otherSid)[0] ?? '', jwks, {
    issuer: system.brokerUrl,
    audience: otherApp.clientId,
    typ: 'logout+jwt',
  });
  t.is(payload.sub, otherTokens.claims()?.sub);
  const refresh = oidc.refreshTokenGrant(otherApp.config, otherTokens.refresh_token ?? '');
  t.is(await oauthErrorOf(refresh), 'invalid_grant', 'the other app’s grant ended');

  // NHSmail's session ended too: its home page says so, and the next sign-in asks for the password.
  t.regex(await mockHomeStatus(session), /^Not signed in/);
  const next = await session.get(`${system.appUrl}/auth/login`);
  t.true(next.url.startsWith(`${system.mockUrl}/`), next.url);
  t.is(next.$('input[name=password]').length, 1);
});

test('signing out at NHSmail ends the broker session and the CQRS app session (front-channel)', async (t) => {
  const { session } = await signInAs(system, 'tom.jones@nhs.net');
  t.truthy(await readAppSession(system, session));
  const otherTokens = await signInToOtherApp(session);

  const home = await session.get(`${system.mockUrl}/`);
  const confirmation = await session.get(
    new URL(home.$('[data-testid=sign-out]').attr('href') ?? '', home.url).href,
  );
  const signedOut = await session.submit(confirmation, '#op\\.logoutForm', { logout: 'yes' });
  t.is(signedOut.$('[data-testid=page-heading]').text().trim(), 'You have signed out of NHSmail');
  const frames = signedOut
    .$('iframe[data-testid=frontchannel-logout]')
    .map((_index, frame) => frame.attribs.src ?? '')
    .get();
  t.is(frames.length, 1, 'the broker is the one client of NHSmail');
  const frame = new URL(frames[0] ?? '');
  t.is(`${frame.origin}${frame.pathname}`, `${system.brokerUrl}/upstream/frontchannel-logout`);
  t.is(frame.searchParams.get('iss'), system.mockConfig.issuer);

  // Entra loads it in a cross-site iframe, where the browser withholds the broker's cookies: no cookies here.
  const response = await fetch(frame.href);
  t.is(response.status, 200);
  t.is(response.headers.get('content-security-policy'), `frame-ancestors ${system.mockUrl}`);
  t.is(response.headers.get('x-frame-options'), null);

  t.true(
    await eventually(async () => (await readAppSession(system, session)) === undefined),
    'the CQRS app dropped the session',
  );
  t.true(
    await eventually(() => logoutTokensFor(otherTokens.claims()?.sid).length === 1),
    'the other app was told',
  );
  const refresh = oidc.refreshTokenGrant(otherApp.config, otherTokens.refresh_token ?? '');
  t.is(await oauthErrorOf(refresh), 'invalid_grant', 'the broker session’s grants ended');
  // Loading the URL again (a second iframe, a reload) finds nothing more to end and still answers 200.
  t.is((await fetch(frame.href)).status, 200);
});

test.serial('front-channel logout ignores another issuer and refuses a request without sid', async (t) => {
  const { session } = await signInAs(system, 'jane.smith@nhs.net');
  const stored = await readAppSession(system, session);
  t.truthy(stored);
  // The NHSmail session behind a broker session of Jane's (the Session row's annex key).
  const link = await system
    .brokerDb('oidc_payloads')
    .where({ model: 'Session', account_id: personaByEmail('jane.smith@nhs.net')?.cqrsAccountId })
    .whereNotNull('annex_key')
    .first('annex_key');
  const url = new URL(`${system.brokerUrl}/upstream/frontchannel-logout`);
  url.searchParams.set('iss', 'https://login.example.com/other/v2.0');
  t.truthy(link?.annex_key);
  url.searchParams.set('sid', String(link?.annex_key));
  t.is((await fetch(url)).status, 200);
  const missing = await fetch(
    `${system.brokerUrl}/upstream/frontchannel-logout?iss=${encodeURIComponent(system.mockConfig.issuer)}`,
  );
  t.is(missing.status, 400);
  const messages = await session.get(`${system.appUrl}/messages`);
  t.is(messages.url, `${system.appUrl}/messages`, 'still signed in');
});

test.serial('a logout token with a sub and no sid ends every CQRS app session of that user', async (t) => {
  const first = await signInAs(system, 'jane.smith@nhs.net');
  const second = await signInAs(system, 'jane.smith@nhs.net');
  const tom = await signInAs(system, 'tom.jones@nhs.net');
  const sub = (await readAppSession(system, first.session))?.user?.sub ?? '';
  const [key] = await publishedSigningKeys(system.brokerDb);
  const token = await signLogoutToken(
    { issuer: system.brokerUrl, clientId: 'cqrs-app', sub, sid: undefined },
    key?.privateJwk ?? {},
  );
  const response = await fetch(`${system.appUrl}/auth/backchannel-logout`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ logout_token: token }),
  });
  t.is(response.status, 200);
  t.is(await readAppSession(system, first.session), undefined);
  t.is(await readAppSession(system, second.session), undefined);
  t.truthy(await readAppSession(system, tom.session), 'another user keeps theirs');
});

test('signing in as another account in the same browser does not detour through NHSmail’s sign-out', async (t) => {
  const { session } = await signInAs(system, 'jane.smith@nhs.net');
  // prompt=login: NHSmail asks for the password, and Tom signs in where Jane was signed in.
  const pending = await authorizationRequest(otherApp, { prompt: 'login' });
  const login = await session.get(pending.url.href);
  let page = await session.submit(login, 'form:has(input[name=password])', {
    username: 'tom.jones@nhs.net',
    password: seededPassword,
  });
  // Each provider ends the previous account's session with a self-submitting form (JavaScript in a
  // browser): submit them as the browser would.
  const visited = [...page.trail];
  for (let step = 0; step < 3 && page.$('form:has(input[name=logout])').length > 0; step += 1) {
    page = await session.submit(page, 'form:has(input[name=logout])');
    visited.push(...page.trail);
  }
  t.false(
    visited.some((url) => url.includes('/oauth2/v2.0/logout?')),
    'no detour through NHSmail’s end_session',
  );
  const callback = new URL(page.url);
  t.true(callback.href.startsWith(otherApp.redirectUri), callback.href);
  const tokens = await redeem(otherApp, callback, pending);
  t.is(tokens.claims()?.sub, personaByEmail('tom.jones@nhs.net')?.cqrsAccountId);
  t.regex(await mockHomeStatus(session), /as\s+tom\.jones@nhs\.net/, 'NHSmail keeps the new sign-in');
  t.true(
    await eventually(async () => (await readAppSession(system, session)) === undefined),
    'Jane’s CQRS app session ended with her broker session',
  );
});
