// Ending sessions at the broker: RP-initiated logout with registered post-logout redirect URIs, then
// prompt=none finds no session; back-channel logout tokens to every registered app of the session.
import test from 'ava';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { personaByEmail } from '../../seeds/personas.ts';
import { eventually } from '../helpers/eventually.ts';
import { type HttpSession, mainText, type Page } from '../helpers/httpSession.ts';
import {
  authorizationRequest,
  authorize,
  browse,
  oauthErrorOf,
  type RelyingPartyHost,
  registerClient,
  signIn,
  startRelyingPartyHost,
  type TestClient,
} from '../helpers/relyingParty.ts';
import { startSystem, type TestSystem } from '../helpers/system.ts';

let system: TestSystem;
let host: RelyingPartyHost;
test.before(async () => {
  system = await startSystem();
  host = await startRelyingPartyHost();
});
test.after.always(async () => {
  await host?.close();
  await system?.close();
});

const backchannelEvent = 'http://schemas.openid.net/event/backchannel-logout';

/** Where each back-channel client's logout tokens arrive on the test host. */
const backchannelPaths = new Map<string, string>();

async function logoutClient(withBackchannel: boolean): Promise<TestClient> {
  const path = `/backchannel/${backchannelPaths.size + 1}`;
  const client = await registerClient(system, host, {
    post_logout_redirect_uris: [`${host.url}/signed-out`],
    ...(withBackchannel
      ? { backchannel_logout_uri: `${host.url}${path}`, backchannel_logout_session_required: true }
      : {}),
  });
  if (withBackchannel) backchannelPaths.set(client.clientId, path);
  return client;
}

/** GETs the end-session URL and, on the broker's confirmation page, presses "Sign out". */
async function signOut(session: HttpSession, url: URL): Promise<{ confirmation: Page; done: Page }> {
  const confirmation = await session.get(url.href);
  const done = await session.submit(confirmation, '#op\\.logoutForm', { logout: 'yes' }, { follow: false });
  return { confirmation, done };
}

async function promptNone(client: TestClient, session: HttpSession): Promise<URL | undefined> {
  const { url } = await authorizationRequest(client, { prompt: 'none' });
  return (await browse(session, url.href, client.redirectUri)).callback;
}

test('RP-initiated logout confirms, returns to the registered URI with state, and ends the session', async (t) => {
  const client = await logoutClient(false);
  const { session, tokens } = await signIn(client, 'jane.smith@nhs.net');
  t.truthy((await promptNone(client, session))?.searchParams.get('code'), 'signed in before');
  const endSession = oidc.buildEndSessionUrl(client.config, {
    id_token_hint: tokens.id_token ?? '',
    post_logout_redirect_uri: `${host.url}/signed-out`,
    state: 'logout-state-1',
  });
  const { confirmation, done } = await signOut(session, endSession);
  t.is(confirmation.status, 200);
  t.is(confirmation.$('[data-testid=page-heading]').text().trim(), 'Sign out of CQRS');
  t.is(done.status, 303);
  // On through NHSmail's end_session (which signs this account out without asking) and back.
  const landed = await session.get(new URL(done.headers.get('location') ?? '', done.url).href);
  t.true(landed.trail[0]?.startsWith(`${system.mockConfig.issuer.replace('/v2.0', '')}/oauth2/v2.0/logout?`));
  t.true(landed.trail.includes(`${system.brokerUrl}/upstream/signed-out`));
  t.is(landed.url, `${host.url}/signed-out?state=logout-state-1`);
  const afterwards = await promptNone(client, session);
  t.is(afterwards?.searchParams.get('error'), 'login_required');
  t.is(afterwards?.searchParams.get('code'), null);
  const refresh = oidc.refreshTokenGrant(client.config, tokens.refresh_token ?? '');
  t.is(await oauthErrorOf(refresh), 'invalid_grant', 'the grant ended with the session');
});

test('logout without a post_logout_redirect_uri ends on the broker’s signed-out page', async (t) => {
  const client = await logoutClient(false);
  const { session, tokens } = await signIn(client, 'jane.smith@nhs.net');
  const endSession = oidc.buildEndSessionUrl(client.config, { id_token_hint: tokens.id_token ?? '' });
  const { done } = await signOut(session, endSession);
  const page = await session.get(new URL(done.headers.get('location') ?? '', done.url).href);
  t.is(page.status, 200);
  t.true(page.url.startsWith(system.brokerUrl));
  t.is(page.$('[data-testid=page-heading]').text().trim(), 'You have signed out');
  t.is((await promptNone(client, session))?.searchParams.get('error'), 'login_required');
});

test('an unregistered post_logout_redirect_uri is refused with the error page and keeps the session', async (t) => {
  const client = await logoutClient(false);
  const { session, tokens } = await signIn(client, 'jane.smith@nhs.net');
  const endSession = oidc.buildEndSessionUrl(client.config, {
    id_token_hint: tokens.id_token ?? '',
    post_logout_redirect_uri: 'http://127.0.0.1:1/elsewhere',
  });
  const response = await session.request(endSession.href, {
    headers: { accept: 'text/html,application/xhtml+xml' },
    follow: false,
  });
  t.is(response.status, 400);
  t.is(response.headers.get('location'), null);
  t.is(response.$('[data-testid=page-heading]').text().trim(), 'Authentication Error');
  t.regex(response.$('[data-testid=correlation-id]').text().trim(), /^[0-9a-f-]{36}$/);
  t.false(response.body.includes('127.0.0.1:1/elsewhere'));
  t.truthy((await promptNone(client, session))?.searchParams.get('code'), 'still signed in');
});

test('signing out sends every back-channel client of the session a valid logout token', async (t) => {
  const first = await logoutClient(true);
  const second = await logoutClient(true);
  const { session, tokens } = await signIn(first, 'jane.smith@nhs.net');
  const secondSignIn = await authorize(second, session, undefined);
  const secondTokens = await oidc.authorizationCodeGrant(second.config, secondSignIn.callback, {
    pkceCodeVerifier: secondSignIn.pending.codeVerifier,
    expectedState: secondSignIn.pending.state,
    expectedNonce: secondSignIn.pending.nonce,
  });
  // Each client's id_token names the broker session for that client (oidc-provider's sid is per client).
  const sids = new Map([
    [first.clientId, tokens.claims()?.sid],
    [second.clientId, secondTokens.claims()?.sid],
  ]);
  for (const sid of sids.values()) t.is(typeof sid, 'string');

  const endSession = oidc.buildEndSessionUrl(first.config, {
    id_token_hint: tokens.id_token ?? '',
    post_logout_redirect_uri: `${host.url}/signed-out`,
  });
  const { done } = await signOut(session, endSession);
  t.is(done.status, 303);

  const jwks = createRemoteJWKSet(new URL(first.config.serverMetadata().jwks_uri ?? ''));
  // Delivered from the logout outbox after the sign-out answered: wait for them, within a bound.
  await eventually(() =>
    [first, second].every((client) =>
      host.posts.some((post) => post.path === backchannelPaths.get(client.clientId)),
    ),
  );
  for (const client of [first, second]) {
    const received = host.posts.filter((post) => post.path === backchannelPaths.get(client.clientId));
    t.is(received.length, 1, `${client.clientId} was told once`);
    const logoutToken = received[0]?.body.get('logout_token') ?? '';
    const { payload, protectedHeader } = await jwtVerify(logoutToken, jwks, {
      issuer: system.brokerUrl,
      audience: client.clientId,
      algorithms: ['RS256'],
      typ: 'logout+jwt',
    });
    t.is(protectedHeader.typ, 'logout+jwt');
    t.is(payload.sub, personaByEmail('jane.smith@nhs.net')?.cqrsAccountId);
    t.is(payload.sid, sids.get(client.clientId));
    t.deepEqual(payload.events, { [backchannelEvent]: {} });
    t.is(typeof payload.jti, 'string');
    t.false('nonce' in payload);
  }
  const refresh = oidc.refreshTokenGrant(second.config, secondTokens.refresh_token ?? '');
  t.is(await oauthErrorOf(refresh), 'invalid_grant', 'the other client’s grant ended too');
});

test('a client without a back-channel URI gets no logout token and signing out still works', async (t) => {
  const client = await logoutClient(false);
  const { session, tokens } = await signIn(client, 'jane.smith@nhs.net');
  t.false('sid' in (decodeJwt(tokens.id_token ?? '') as object));
  const { done } = await signOut(
    session,
    oidc.buildEndSessionUrl(client.config, { id_token_hint: tokens.id_token ?? '' }),
  );
  t.is(done.status, 303);
  t.regex(
    mainText(await session.get(new URL(done.headers.get('location') ?? '', done.url).href)),
    /signed out/,
  );
});
