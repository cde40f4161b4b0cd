// What a relying party does with the broker's tokens: userinfo by GET and POST, refresh with rotation
// and reuse detection, revocation, and introspection for registered resource servers.
import test from 'ava';
import * as oidc from 'openid-client';
import { oauthErrorOf, registerClient, signIn, startRelyingPartyFixture } from '../helpers/relyingParty.ts';

const { system, host, client, close } = await startRelyingPartyFixture();
test.after.always(close);

const janeEmail = 'jane.smith@nhs.net';

function refreshTokenOf(tokens: { refresh_token?: string }): string {
  if (!tokens.refresh_token) throw new Error('no refresh token issued');
  return tokens.refresh_token;
}

async function userinfoStatus(accessToken: string, method: 'GET' | 'POST'): Promise<number> {
  const userinfo = client.config.serverMetadata().userinfo_endpoint ?? '';
  const response = await fetch(userinfo, { method, headers: { authorization: `Bearer ${accessToken}` } });
  await response.arrayBuffer();
  return response.status;
}

test('userinfo answers GET and POST with the signed-in user', async (t) => {
  const { tokens } = await signIn(client, janeEmail);
  const sub = tokens.claims()?.sub ?? '';
  const byGet = await oidc.fetchUserInfo(client.config, tokens.access_token, sub);
  t.is(byGet.email, janeEmail);
  const userinfo = new URL(client.config.serverMetadata().userinfo_endpoint ?? '');
  const byPost = await oidc.fetchProtectedResource(client.config, tokens.access_token, userinfo, 'POST');
  t.is(byPost.status, 200);
  t.deepEqual(await byPost.json(), byGet);
  const formPost = await fetch(userinfo, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ access_token: tokens.access_token }),
  });
  t.is(formPost.status, 200, 'RFC 6750 §2.2 form-encoded access token');
  t.is(((await formPost.json()) as { sub?: string }).sub, sub);
});

test('userinfo refuses a missing or unknown access token with a Bearer challenge', async (t) => {
  t.is(await userinfoStatus('not-a-token', 'GET'), 401);
  t.is(await userinfoStatus('not-a-token', 'POST'), 401);
  const response = await fetch(client.config.serverMetadata().userinfo_endpoint ?? '');
  t.is(response.status, 401);
  t.regex(response.headers.get('www-authenticate') ?? '', /^Bearer /);
  await response.arrayBuffer();
});

test('every refresh rotates the refresh token and the newest keeps working', async (t) => {
  const { tokens } = await signIn(client, janeEmail);
  const first = refreshTokenOf(tokens);
  const second = await oidc.refreshTokenGrant(client.config, first);
  const secondToken = refreshTokenOf(second);
  t.not(secondToken, first);
  t.not(second.access_token, tokens.access_token);
  t.is(second.claims()?.sub, tokens.claims()?.sub, 'a refreshed id_token names the same user');
  const third = await oidc.refreshTokenGrant(client.config, secondToken);
  t.not(refreshTokenOf(third), secondToken);
  t.is(await userinfoStatus(third.access_token, 'GET'), 200);
});

test('reusing a rotated refresh token fails and revokes the grant, newest token included', async (t) => {
  const { tokens } = await signIn(client, janeEmail);
  const old = refreshTokenOf(tokens);
  const rotated = await oidc.refreshTokenGrant(client.config, old);
  const newest = refreshTokenOf(rotated);
  t.is(await oauthErrorOf(oidc.refreshTokenGrant(client.config, old)), 'invalid_grant');
  t.is(await oauthErrorOf(oidc.refreshTokenGrant(client.config, newest)), 'invalid_grant');
  t.is(await userinfoStatus(rotated.access_token, 'GET'), 401, 'the grant’s access tokens die with it');
});

test('by default a refresh token ends with the sign-in, 8 hours after it, rotated or not', async (t) => {
  const { tokens } = await signIn(client, janeEmail, { parameters: { max_age: '28800' } });
  const end = Number(tokens.claims()?.auth_time) + 8 * 60 * 60;
  t.is(Number((await oidc.tokenIntrospection(client.config, refreshTokenOf(tokens))).exp), end);
  const rotated = await oidc.refreshTokenGrant(client.config, refreshTokenOf(tokens));
  t.is(Number((await oidc.tokenIntrospection(client.config, refreshTokenOf(rotated))).exp), end);
});

test('a refresh token works only for the client it was issued to', async (t) => {
  const other = await registerClient(system, host);
  const { tokens } = await signIn(client, janeEmail);
  t.is(await oauthErrorOf(oidc.refreshTokenGrant(other.config, refreshTokenOf(tokens))), 'invalid_grant');
  t.truthy((await oidc.refreshTokenGrant(client.config, refreshTokenOf(tokens))).access_token);
});

test('revoking an access token stops it, and the refresh token of the same sign-in', async (t) => {
  const { tokens } = await signIn(client, janeEmail);
  t.true((await oidc.tokenIntrospection(client.config, tokens.access_token)).active);
  await oidc.tokenRevocation(client.config, tokens.access_token, { token_type_hint: 'access_token' });
  t.is(await userinfoStatus(tokens.access_token, 'GET'), 401);
  t.false((await oidc.tokenIntrospection(client.config, tokens.access_token)).active);
  // oidc-provider revokes every token of the grant, so the sign-in's refresh token goes too.
  t.is(await oauthErrorOf(oidc.refreshTokenGrant(client.config, refreshTokenOf(tokens))), 'invalid_grant');
});

test('revoking a refresh token ends the grant', async (t) => {
  const { tokens } = await signIn(client, janeEmail);
  const refreshToken = refreshTokenOf(tokens);
  await oidc.tokenRevocation(client.config, refreshToken, { token_type_hint: 'refresh_token' });
  t.is(await oauthErrorOf(oidc.refreshTokenGrant(client.config, refreshToken)), 'invalid_grant');
  t.is(await userinfoStatus(tokens.access_token, 'GET'), 401);
  t.false((await oidc.tokenIntrospection(client.config, refreshToken)).active);
});

test('another client may not revoke a token, which keeps working', async (t) => {
  const other = await registerClient(system, host);
  const { tokens } = await signIn(client, janeEmail);
  t.is(await oauthErrorOf(oidc.tokenRevocation(other.config, tokens.access_token)), 'invalid_request');
  t.is(await oauthErrorOf(oidc.tokenRevocation(other.config, refreshTokenOf(tokens))), 'invalid_request');
  t.is(await userinfoStatus(tokens.access_token, 'GET'), 200);
  t.truthy((await oidc.refreshTokenGrant(client.config, refreshTokenOf(tokens))).access_token);
});

test('introspection describes an active access token to its own client', async (t) => {
  const { tokens } = await signIn(client, janeEmail);
  const result = await oidc.tokenIntrospection(client.config, tokens.access_token);
  t.true(result.active);
  t.is(result.client_id, client.clientId);
  t.is(result.sub, tokens.claims()?.sub);
  t.is(result.iss, system.brokerUrl);
  t.is(result.token_type, 'Bearer');
  // The scopes granted, offline_access included: asking for it is consent enough for a CQRS app.
  t.deepEqual(String(result.scope).split(' ').sort(), [
    'cqrs',
    'email',
    'offline_access',
    'openid',
    'profile',
  ]);
  t.true(Number(result.exp) > Number(result.iat));
  const refresh = await oidc.tokenIntrospection(client.config, refreshTokenOf(tokens));
  t.true(refresh.active);
  t.is(refresh.client_id, client.clientId);
});

test('introspection says inactive for an unknown token', async (t) => {
  const result = await oidc.tokenIntrospection(client.config, 'not-a-token');
  t.deepEqual(result, { active: false });
});

test('a registered resource server may introspect another client’s token', async (t) => {
  // As `cqrs-broker clients add <id> --resource-server` registers it: no redirect URIs, no grants.
  const resourceServer = await registerClient(system, host, {
    redirect_uris: [],
    grant_types: [],
    response_types: [],
    cqrs_resource_server: true,
  });
  const { tokens } = await signIn(client, janeEmail);
  const result = await oidc.tokenIntrospection(resourceServer.config, tokens.access_token);
  t.true(result.active);
  t.is(result.client_id, client.clientId);
  t.is(result.sub, tokens.claims()?.sub);
});

test('an ordinary other client learns nothing from introspecting someone else’s token', async (t) => {
  const other = await registerClient(system, host);
  const { tokens } = await signIn(client, janeEmail);
  t.deepEqual(await oidc.tokenIntrospection(other.config, tokens.access_token), { active: false });
  t.deepEqual(await oidc.tokenIntrospection(other.config, refreshTokenOf(tokens)), { active: false });
});

test('introspection needs client authentication', async (t) => {
  const { tokens } = await signIn(client, janeEmail);
  const endpoint = client.config.serverMetadata().introspection_endpoint ?? '';
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: tokens.access_token }),
  });
  // oidc-provider answers a request with no client authentication at all as invalid_request.
  t.is(response.status, 400);
  const body = (await response.json()) as { error?: string; active?: boolean };
  t.is(body.error, 'invalid_request');
  t.is(body.active, undefined);
});

test.serial('a sign-in without offline_access gets no refresh token, and stores none', async (t) => {
  const { tokens } = await signIn(client, janeEmail, { parameters: { scope: 'openid email profile' } });
  t.is(tokens.refresh_token, undefined);
  t.false(String(tokens.scope).split(' ').includes('offline_access'));
  const stored = await system.brokerDb('oidc_payloads').where({ model: 'RefreshToken' }).count({ n: '*' });
  const { tokens: offline } = await signIn(client, janeEmail);
  t.truthy(offline.refresh_token, 'offline_access without prompt=consent still gets one');
  t.true(String(offline.scope).split(' ').includes('offline_access'));
  const after = await system.brokerDb('oidc_payloads').where({ model: 'RefreshToken' }).count({ n: '*' });
  t.is(
    Number(after[0]?.n),
    Number(stored[0]?.n) + 1,
    'only the offline_access sign-in stored a refresh token',
  );
});
