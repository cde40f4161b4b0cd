// The broker as an OpenID Provider for an unmodified openid-client relying party: discovery, JWKS, the
// authorization code flow with PKCE S256, exact redirect URIs, RFC 9207 `iss`, code reuse and client
// authentication.
import test from 'ava';
import * as oidc from 'openid-client';
import { HttpSession, mainText } from '../helpers/httpSession.ts';
import {
  authorizationRequest,
  authorize,
  browse,
  discoverBroker,
  oauthErrorOf,
  redeem,
  registerClient,
  signIn,
  startRelyingPartyFixture,
  type TestClient,
} from '../helpers/relyingParty.ts';

const { system, host, client, close } = await startRelyingPartyFixture();
test.after.always(close);

test('discovery describes a code-flow-only issuer with PKCE S256 and RFC 9207 iss', (t) => {
  const metadata = client.config.serverMetadata();
  t.is(metadata.issuer, system.brokerUrl);
  t.deepEqual(metadata.response_types_supported, ['code']);
  t.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
  t.true(metadata.authorization_response_iss_parameter_supported);
  t.deepEqual(metadata.token_endpoint_auth_methods_supported, [
    'client_secret_basic',
    'client_secret_post',
    'none',
  ]);
  for (const scope of ['openid', 'email', 'profile', 'cqrs', 'offline_access'])
    t.true(metadata.scopes_supported?.includes(scope), scope);
  for (const claim of [
    'sub',
    'email',
    'email_verified',
    'name',
    'given_name',
    'family_name',
    'organisations',
  ])
    t.true(metadata.claims_supported?.includes(claim), claim);
  for (const endpoint of [
    'authorization_endpoint',
    'token_endpoint',
    'userinfo_endpoint',
    'jwks_uri',
    'revocation_endpoint',
    'introspection_endpoint',
    'end_session_endpoint',
  ] as const) {
    t.true(String(metadata[endpoint]).startsWith(`${system.brokerUrl}/`), endpoint);
  }
  t.true(metadata.backchannel_logout_supported);
  t.true(metadata.backchannel_logout_session_supported);
  t.deepEqual(metadata.id_token_signing_alg_values_supported, ['RS256']);
});

test('the JWKS publishes public RS256 signing keys only', async (t) => {
  const jwksUri = client.config.serverMetadata().jwks_uri;
  if (!jwksUri) return t.fail('no jwks_uri');
  const response = await fetch(jwksUri);
  t.is(response.status, 200);
  const { keys } = (await response.json()) as { keys: Array<Record<string, unknown>> };
  t.true(keys.length >= 1);
  for (const key of keys) {
    t.is(key.kty, 'RSA');
    t.is(key.alg, 'RS256');
    t.is(key.use, 'sig');
    t.is(typeof key.kid, 'string');
    for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) t.false(secret in key, `private part ${secret}`);
  }
});

test('the code flow gives an openid-client RP verified tokens, and the response carries iss', async (t) => {
  const session = new HttpSession();
  const { pending, callback, sawNhsmailLogin } = await authorize(client, session, 'jane.smith@nhs.net');
  t.true(sawNhsmailLogin, 'the user signed in at NHSmail');
  t.is(callback.origin + callback.pathname, client.redirectUri);
  t.is(callback.searchParams.get('iss'), system.brokerUrl);
  t.is(callback.searchParams.get('state'), pending.state);
  const tokens = await redeem(client, callback, pending);
  t.is(tokens.token_type.toLowerCase(), 'bearer');
  t.truthy(tokens.access_token);
  t.truthy(tokens.refresh_token);
  const claims = tokens.claims();
  t.is(claims?.iss, system.brokerUrl);
  t.is(claims?.aud, client.clientId);
  t.is(claims?.nonce, pending.nonce);
});

test('openid-client refuses an authorization response whose iss is not the broker', async (t) => {
  const { pending, callback } = await authorize(client, new HttpSession(), 'jane.smith@nhs.net');
  const forged = new URL(callback);
  forged.searchParams.set('iss', 'http://127.0.0.1:1/not-the-broker');
  const wrongIssuer = await t.throwsAsync(redeem(client, forged, pending));
  t.regex(String((wrongIssuer?.cause as Error | undefined)?.message), /unexpected "iss"/);
  const missing = new URL(callback);
  missing.searchParams.delete('iss');
  const noIssuer = await t.throwsAsync(redeem(client, missing, pending));
  t.regex(String((noIssuer?.cause as Error | undefined)?.message), /"iss" \(issuer\) missing/);
  // The untampered response still redeems: the refusals above were about iss alone.
  t.truthy((await redeem(client, callback, pending)).access_token);
});

test('a second sign-in in the same browser needs no NHSmail password', async (t) => {
  const session = new HttpSession();
  await signIn(client, 'jane.smith@nhs.net', { session });
  const again = await authorize(client, session, undefined);
  t.false(again.sawNhsmailLogin);
  t.truthy(again.callback.searchParams.get('code'));
});

test('an authorization request without code_challenge is refused', async (t) => {
  const { url } = await authorizationRequest(client);
  url.searchParams.delete('code_challenge');
  url.searchParams.delete('code_challenge_method');
  const outcome = await browse(new HttpSession(), url.href, client.redirectUri);
  t.is(outcome.callback?.searchParams.get('error'), 'invalid_request');
  t.regex(outcome.callback?.searchParams.get('error_description') ?? '', /PKCE/);
  t.is(outcome.callback?.searchParams.get('code'), null);
});

test('an authorization request with code_challenge_method=plain is refused', async (t) => {
  const { url } = await authorizationRequest(client, {
    code_challenge: oidc.randomPKCECodeVerifier(),
    code_challenge_method: 'plain',
  });
  const outcome = await browse(new HttpSession(), url.href, client.redirectUri);
  t.is(outcome.callback?.searchParams.get('error'), 'invalid_request');
  t.regex(outcome.callback?.searchParams.get('error_description') ?? '', /code_challenge_method/);
  t.is(outcome.callback?.searchParams.get('code'), null);
});

test('a code_challenge without code_challenge_method is refused, not taken as plain', async (t) => {
  const { url } = await authorizationRequest(client);
  url.searchParams.delete('code_challenge_method');
  const outcome = await browse(new HttpSession(), url.href, client.redirectUri);
  t.is(outcome.callback?.searchParams.get('error'), 'invalid_request');
  t.is(outcome.callback?.searchParams.get('code'), null);
});

test('a token request with the wrong code_verifier is refused with invalid_grant', async (t) => {
  const { pending, callback } = await authorize(client, new HttpSession(), 'jane.smith@nhs.net');
  const wrong = { ...pending, codeVerifier: oidc.randomPKCECodeVerifier() };
  t.is(await oauthErrorOf(redeem(client, callback, wrong)), 'invalid_grant');
  // The code is spent by the failed attempt: a verifier cannot be guessed at, one try per code.
  t.is(await oauthErrorOf(redeem(client, callback, pending)), 'invalid_grant');
});

const alteredRedirectUris: Array<[string, (registered: URL) => string]> = [
  ['an extra path segment', (uri) => `${uri.href}/extra`],
  ['an added query', (uri) => `${uri.href}?next=/admin`],
  ['a trailing slash', (uri) => `${uri.href}/`],
  ['another port', (uri) => `${uri.protocol}//${uri.hostname}:${Number(uri.port) + 1}${uri.pathname}`],
  ['another host', (uri) => `${uri.protocol}//localhost:${uri.port}${uri.pathname}`],
  ['an unregistered URI', () => 'http://127.0.0.1:1/attacker/callback'],
];

for (const [label, alter] of alteredRedirectUris) {
  test(`a redirect_uri with ${label} shows the broker error page and never redirects`, async (t) => {
    const badRedirectUri = alter(new URL(client.redirectUri));
    const { url } = await authorizationRequest(client, { redirect_uri: badRedirectUri });
    const session = new HttpSession();
    const response = await session.get(url.href, { follow: false });
    t.is(response.status, 400);
    t.is(response.headers.get('location'), null);
    t.is(response.$('[data-testid=page-heading]').text().trim(), 'Authentication Error');
    t.regex(response.$('[data-testid=correlation-id]').text().trim(), /^[0-9a-f-]{36}$/);
    t.false(response.body.includes(badRedirectUri), 'the bad URI is not echoed as a link');
    t.notRegex(mainText(response), /redirect_uri/, 'no protocol detail for the user');
  });
}

test('an unknown client_id shows the broker error page and never redirects', async (t) => {
  const { url } = await authorizationRequest(client, { client_id: 'no-such-client' });
  const response = await new HttpSession().get(url.href, { follow: false });
  t.is(response.status, 400);
  t.is(response.headers.get('location'), null);
  t.is(response.$('[data-testid=page-heading]').text().trim(), 'Authentication Error');
});

test('response types other than code are refused at the redirect URI', async (t) => {
  for (const responseType of ['token', 'id_token', 'code id_token']) {
    const { url } = await authorizationRequest(client, { response_type: responseType });
    const outcome = await browse(new HttpSession(), url.href, client.redirectUri);
    const response = outcome.callback ?? new URL('http://none');
    // An implicit or hybrid request answers in the fragment.
    const parameters = new URLSearchParams(response.hash.slice(1) || response.search);
    t.is(parameters.get('error'), 'unsupported_response_type', responseType);
    t.is(parameters.get('access_token'), null);
    t.is(parameters.get('id_token'), null);
  }
});

test('a reused authorization code is refused with invalid_grant and revokes what it issued', async (t) => {
  const { pending, callback } = await authorize(client, new HttpSession(), 'jane.smith@nhs.net');
  const tokens = await redeem(client, callback, pending);
  t.is(await oauthErrorOf(redeem(client, callback, pending)), 'invalid_grant');
  t.is(
    await oauthErrorOf(oidc.fetchUserInfo(client.config, tokens.access_token, oidc.skipSubjectCheck)),
    'invalid_token',
    'the access token from the first redemption no longer works',
  );
  const refreshToken = tokens.refresh_token ?? '';
  t.is(await oauthErrorOf(oidc.refreshTokenGrant(client.config, refreshToken)), 'invalid_grant');
});

test('a wrong client secret is refused with invalid_client', async (t) => {
  const { pending, callback } = await authorize(client, new HttpSession(), 'jane.smith@nhs.net');
  const impostor: TestClient = {
    ...client,
    config: await discoverBroker(system, client.clientId, 'not-the-secret-of-this-client'),
  };
  t.is(await oauthErrorOf(redeem(impostor, callback, pending)), 'invalid_client');
  // The genuine client can still redeem the code: a failed authentication does not consume it.
  const tokens = await redeem(client, callback, pending);
  t.truthy(tokens.access_token);
});

test('a code issued to one client cannot be redeemed by another', async (t) => {
  const other = await registerClient(system, host);
  const { pending, callback } = await authorize(client, new HttpSession(), 'jane.smith@nhs.net');
  const redirectedToOther = new URL(callback.search, other.redirectUri);
  t.is(await oauthErrorOf(redeem(other, redirectedToOther, pending)), 'invalid_grant');
  // The other client's attempt does not spend it: the client it was issued to still redeems it.
  const tokens = await redeem(client, callback, pending);
  t.truthy(tokens.access_token);
});
