// MOCK_BROKER_REDIRECT_URIS with callbacks on two ports (two brokers sharing one NHSmail
// registration) works, and `sub` stays pairwise as Entra's: the same for one account through either
// callback of one client, different for another client.
import test from 'ava';
import * as oidc from 'openid-client';
import { brokerUpstreamClient } from '../../seeds/clients.ts';
import { seededPassword } from '../../seeds/personas.ts';
import { loadConfig } from '../../mock-idp/config.ts';
import { seedMockIdp } from '../../mock-idp/seed.ts';
import { putClient } from '../../shared/oidc/clientStore.ts';
import { signInAs } from '../helpers/flows.ts';
import { HttpSession, mainText } from '../helpers/httpSession.ts';
import { startSystem, type TestSystem } from '../helpers/system.ts';

// The second callback is never contacted: the test stops at the redirect and redeems the code itself.
const secondCallback = 'http://localhost:4999/upstream/callback';
let system: TestSystem;
test.before(async () => {
  system = await startSystem();
  // Registered again from the variable as a deployment would set it: the system's own broker first.
  const config = loadConfig({
    MOCK_IDP_URL: system.mockUrl,
    MOCK_BROKER_REDIRECT_URIS: `${system.brokerUrl}${brokerUpstreamClient.redirectPath}, ${secondCallback}`,
    MOCK_BROKER_POST_LOGOUT_REDIRECT_URIS: `${system.brokerUrl}/`,
    DATA_DIR: '/nonexistent',
  });
  await seedMockIdp(system.mockDb, config);
  await putClient(system.mockDb, {
    clientId: 'another-app',
    secret: 'another-app-secret-for-tests',
    metadata: {
      redirect_uris: ['http://127.0.0.1:4998/callback'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    },
  });
  // The running mock sees the registration changes now rather than at its next registry check.
  await system.mock.refreshClients();
});
test.after.always(async () => {
  await system?.close();
});

/** Signs `userId` in at the mock as `clientId` with `redirectUri`; returns the id_token claims. */
async function signInThrough(clientId: string, secret: string, redirectUri: string, userId: string) {
  const config = await oidc.discovery(
    new URL(system.mockConfig.issuer),
    clientId,
    undefined,
    oidc.ClientSecretPost(secret),
    { execute: [oidc.allowInsecureRequests] },
  );
  const verifier = oidc.randomPKCECodeVerifier();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile email',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    nonce,
  });
  const session = new HttpSession();
  const login = await session.get(url.href);
  if (login.status !== 200) throw new Error(`sign-in page: ${login.status} ${mainText(login).slice(0, 300)}`);
  let page = await session.submit(
    login,
    'form:has(input[name=password])',
    { username: userId, password: seededPassword },
    { follow: false },
  );
  for (let hop = 0; hop < 10; hop += 1) {
    const location = page.headers.get('location');
    if (!location) throw new Error(`sign-in stopped at ${page.url}: ${mainText(page).slice(0, 300)}`);
    const next = new URL(location, page.url);
    if (next.href.startsWith(redirectUri)) {
      const tokens = await oidc.authorizationCodeGrant(config, next, {
        pkceCodeVerifier: verifier,
        expectedNonce: nonce,
      });
      const claims = tokens.claims();
      if (!claims) throw new Error('no id_token');
      return claims;
    }
    page = await session.get(next.href, { follow: false });
  }
  throw new Error('too many redirects');
}

test('the broker signs in through the mock while the registration lists callbacks on two ports', async (t) => {
  const { page } = await signInAs(system, 'jane.smith@nhs.net');
  t.is(page.url, `${system.appUrl}/messages`, mainText(page).slice(0, 300));
});

test('sub is the same through either callback of one client and differs for another client', async (t) => {
  const { clientId, developmentSecret } = brokerUpstreamClient;
  const first = `${system.brokerUrl}${brokerUpstreamClient.redirectPath}`;
  const viaFirst = await signInThrough(clientId, developmentSecret, first, 'tom.jones@nhs.net');
  const viaSecond = await signInThrough(clientId, developmentSecret, secondCallback, 'tom.jones@nhs.net');
  const other = await signInThrough(
    'another-app',
    'another-app-secret-for-tests',
    'http://127.0.0.1:4998/callback',
    'tom.jones@nhs.net',
  );
  t.is(viaSecond.sub, viaFirst.sub);
  t.not(other.sub, viaFirst.sub);
  t.not(viaFirst.sub, viaFirst.oid, 'never the oid');
  t.is(other.oid, viaFirst.oid);
});
