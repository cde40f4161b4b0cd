// The mock as an OpenID Provider, seen by a relying party that is not the broker: Entra-shaped
// discovery and endpoints, RS256 id_tokens with Entra's claims and a pairwise sub; and the tester's
// landing page.
import test from 'ava';
import * as oidc from 'openid-client';
import { personaByEmail, seededPassword } from '../../seeds/personas.ts';
import { putClient } from '../../shared/oidc/clientStore.ts';
import { HttpSession, mainText } from '../helpers/httpSession.ts';
import { startSystem, type TestSystem } from '../helpers/system.ts';

let system: TestSystem;
test.before(async () => {
  system = await startSystem();
  // Two probe apps on different hosts: different sectors, so each gets its own pairwise sub.
  await Promise.all(
    ['one', 'two'].map((name) =>
      putClient(system.mockDb, {
        clientId: `probe-${name}`,
        secret: `probe-${name}-secret-for-tests`,
        metadata: {
          redirect_uris: [`https://app-${name}.example/callback`],
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_post',
          subject_type: 'pairwise',
        },
      }),
    ),
  );
  await system.mock.refreshClients();
});
test.after.always(async () => {
  await system?.close();
});

/** Signs `userId` in at the mock as probe app `name`; returns the validated id_token claims. */
async function signInThroughProbe(name: 'one' | 'two', userId: string, scope = 'openid profile email') {
  const redirectUri = `https://app-${name}.example/callback`;
  const config = await oidc.discovery(
    new URL(system.mockConfig.issuer),
    `probe-${name}`,
    undefined,
    oidc.ClientSecretPost(`probe-${name}-secret-for-tests`),
    { execute: [oidc.allowInsecureRequests] },
  );
  const verifier = oidc.randomPKCECodeVerifier();
  const nonce = oidc.randomNonce();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    nonce,
    state,
  });
  const session = new HttpSession();
  const login = await session.get(url.href);
  let page = await session.submit(
    login,
    'form:has(input[name=password])',
    { username: userId, password: seededPassword },
    { follow: false },
  );
  // Follow the mock's own redirects by hand and stop at the app, which is never contacted.
  for (let hop = 0; hop < 10; hop += 1) {
    const location = page.headers.get('location');
    if (!location) throw new Error(`sign-in stopped at ${page.url}: ${mainText(page).slice(0, 300)}`);
    const next = new URL(location, page.url);
    if (next.href.startsWith(redirectUri)) {
      const tokens = await oidc.authorizationCodeGrant(config, next, {
        pkceCodeVerifier: verifier,
        expectedNonce: nonce,
        expectedState: state,
      });
      const claims = tokens.claims();
      if (!claims || !tokens.id_token) throw new Error('no id_token');
      return { claims, idToken: tokens.id_token };
    }
    page = await session.get(next.href, { follow: false });
  }
  throw new Error('too many redirects');
}

test('discovery sits below the tenant issuer and names Entra-shaped endpoints', async (t) => {
  const { issuer, tenantId, baseUrl } = system.mockConfig;
  t.is(issuer, `${system.mockUrl}/${tenantId}/v2.0`);
  const response = await fetch(`${issuer}/.well-known/openid-configuration`);
  t.is(response.status, 200);
  const metadata = (await response.json()) as Record<string, unknown>;
  t.is(metadata.issuer, issuer);
  t.is(metadata.authorization_endpoint, `${baseUrl}/${tenantId}/oauth2/v2.0/authorize`);
  t.is(metadata.token_endpoint, `${baseUrl}/${tenantId}/oauth2/v2.0/token`);
  t.is(metadata.jwks_uri, `${baseUrl}/${tenantId}/discovery/v2.0/keys`);
  t.is(metadata.end_session_endpoint, `${baseUrl}/${tenantId}/oauth2/v2.0/logout`);
  t.deepEqual(metadata.id_token_signing_alg_values_supported, ['RS256']);
  t.true((metadata.subject_types_supported as string[]).includes('pairwise'));
  t.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
  t.is(
    (await fetch(`${system.mockUrl}/.well-known/openid-configuration`)).status,
    404,
    'only below the tenant',
  );
});

test('the JWKS publishes RSA public keys only', async (t) => {
  const response = await fetch(`${system.mockUrl}/${system.mockConfig.tenantId}/discovery/v2.0/keys`);
  const { keys } = (await response.json()) as { keys: Array<Record<string, unknown>> };
  t.true(keys.length >= 1);
  for (const key of keys) {
    t.is(key.kty, 'RSA');
    t.truthy(key.kid);
    t.is(key.d, undefined, 'no private part');
  }
});

test('the id_token carries ver 2.0, tid, oid, name, preferred_username and email, signed RS256', async (t) => {
  const jane = personaByEmail('jane.smith@nhs.net');
  const { claims, idToken } = await signInThroughProbe('one', 'Jane.Smith@nhs.net');
  const header = JSON.parse(Buffer.from(idToken.split('.')[0] ?? '', 'base64url').toString('utf8'));
  t.is(header.alg, 'RS256');
  t.is(claims.iss, system.mockConfig.issuer);
  t.is(claims.aud, 'probe-one');
  t.is(claims.ver, '2.0');
  t.is(claims.tid, system.mockConfig.tenantId);
  t.is(claims.oid, jane?.oid);
  t.is(claims.name, 'Jane Smith');
  t.is(claims.preferred_username, 'jane.smith@nhs.net');
  t.is(claims.email, 'jane.smith@nhs.net');
});

test('sub is pairwise: stable for one app, different for another, never the oid', async (t) => {
  const first = await signInThroughProbe('one', 'tom.jones@nhs.net');
  const again = await signInThroughProbe('one', 'tom.jones@nhs.net');
  const other = await signInThroughProbe('two', 'tom.jones@nhs.net');
  t.is(again.claims.sub, first.claims.sub);
  t.not(other.claims.sub, first.claims.sub);
  t.not(first.claims.sub, first.claims.oid);
  t.is(other.claims.oid, first.claims.oid, 'the oid is the same for every app');
});

test('email is in the id_token only when the email scope is asked', async (t) => {
  const { claims } = await signInThroughProbe('two', 'jane.smith@nhs.net', 'openid profile');
  t.is(claims.email, undefined);
  t.is(claims.preferred_username, 'jane.smith@nhs.net');
});

test("the tester's landing page shows the issuer, discovery, personas, scenarios and the control API", async (t) => {
  const home = await new HttpSession().get(`${system.mockUrl}/`);
  t.is(home.status, 200);
  t.is(home.$('[data-testid=issuer]').text(), system.mockConfig.issuer);
  const text = mainText(home);
  t.true(text.includes(`${system.mockConfig.issuer}/.well-known/openid-configuration`));
  t.true(text.includes('locked.user@nhs.net'));
  t.true(text.includes('AADSTS50105'));
  t.true(text.includes(`${system.mockUrl}/_mock/next-sign-in`));
  t.is(home.$('[data-testid=test-marker]').text().trim(), 'Test environment — not NHSmail');
});
