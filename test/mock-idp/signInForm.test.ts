// As at Entra, the mock's authorization endpoint answers a new sign-in with the sign-in form itself,
// with the interaction cookie set for /<tenant>/login/<uid>, where the form posts. GET
// /<tenant>/login/<uid> still shows the same form (reloads, "try again" links); a prompt other than
// login, and a form that cannot be shown, keep oidc-provider's redirect to it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import Koa from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import * as oidc from 'openid-client';
import { seededPassword } from '../../seeds/personas.ts';
import { createLogger } from '../../shared/logger.ts';
import { putClient } from '../../shared/oidc/clientStore.ts';
import { loginRoutes } from '../../mock-idp/provider/login.ts';
import { HttpSession, mainText, type Page } from '../helpers/httpSession.ts';
import { startSystem, type TestSystem } from '../helpers/system.ts';

const clientId = 'probe-form';
const clientSecret = 'probe-form-secret-for-tests';
const redirectUri = 'https://app-form.example/callback';

let system: TestSystem;
let client: oidc.Configuration;
test.before(async () => {
  system = await startSystem();
  await putClient(system.mockDb, {
    clientId,
    secret: clientSecret,
    metadata: {
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    },
  });
  await system.mock.refreshClients();
  client = await oidc.discovery(
    new URL(system.mockConfig.issuer),
    clientId,
    undefined,
    oidc.ClientSecretPost(clientSecret),
    { execute: [oidc.allowInsecureRequests] },
  );
});
test.after.always(async () => {
  await system?.close();
});

const loginPath = () => `/${system.mockConfig.tenantId}/login`;

/** An authorization request of the probe app, with what it needs to redeem the code. */
async function authorizationRequest(parameters: Record<string, string> = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const nonce = oidc.randomNonce();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(client, {
    redirect_uri: redirectUri,
    scope: 'openid profile email',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    nonce,
    state,
    ...parameters,
  });
  return { url, verifier, nonce, state };
}

/** Redeems the code of `callback` as the probe app, with every check openid-client makes. */
function redeem(callback: URL, request: { verifier: string; nonce: string; state: string }) {
  return oidc.authorizationCodeGrant(client, callback, {
    pkceCodeVerifier: request.verifier,
    expectedNonce: request.nonce,
    expectedState: request.state,
  });
}

/** A cookie `page` set: its value and path. */
function cookieOf(page: Page, name: string): { value: string; path: string | undefined } | undefined {
  const cookie = page.headers.getSetCookie().find((each) => each.startsWith(`${name}=`));
  if (!cookie) return undefined;
  const [pair = '', ...attributes] = cookie.split(';').map((part) => part.trim());
  const path = attributes.find((attribute) => attribute.toLowerCase().startsWith('path='));
  return { value: pair.slice(pair.indexOf('=') + 1), path: path?.slice('path='.length) };
}

/** Posts the sign-in form on `page` and follows the mock's redirects until the app's redirect URI. */
async function signInFrom(session: HttpSession, page: Page, userId: string): Promise<URL> {
  let answer = await session.submit(
    page,
    'form:has(input[name=password])',
    { username: userId, password: seededPassword },
    { follow: false },
  );
  for (let hop = 0; hop < 10; hop += 1) {
    const location = answer.headers.get('location');
    if (!location) throw new Error(`sign-in stopped at ${answer.url}: ${mainText(answer).slice(0, 300)}`);
    const next = new URL(location, answer.url);
    if (next.href.startsWith(redirectUri)) return next;
    answer = await session.get(next.href, { follow: false });
  }
  throw new Error('too many redirects');
}

/** The page without its form tokens, which differ on every page shown. */
const withoutFormTokens = (page: Page) => page.body.replace(/name="_csrf" value="[^"]*"/g, '');

test('the authorization request answers with the sign-in form and the interaction cookie for its post', async (t) => {
  const session = new HttpSession();
  const { url } = await authorizationRequest();
  const page = await session.get(url.href, { follow: false });
  t.is(page.status, 200);
  t.is(page.headers.get('location'), null);
  t.regex(page.headers.get('content-type') ?? '', /^text\/html/);
  t.is(page.headers.get('cache-control'), 'no-store');
  t.is(page.headers.get('x-frame-options'), 'DENY');
  t.is(page.headers.get('content-security-policy'), "frame-ancestors 'none'");
  t.is(page.headers.get('x-content-type-options'), 'nosniff');
  t.is(page.headers.get('referrer-policy'), 'no-referrer');

  const interaction = cookieOf(page, 'nhsmail_interaction');
  if (!interaction) return t.fail('no interaction cookie');
  t.regex(interaction.value, /^[A-Za-z0-9_-]{20,}$/);
  t.is(interaction.path, `${loginPath()}/${interaction.value}`);
  t.truthy(cookieOf(page, 'nhsmail_csrf'), "this browser's form token secret");

  const form = page.$('form:has(input[name=password])');
  t.is(form.attr('method'), 'post');
  t.is(form.attr('action'), `${loginPath()}/${interaction.value}`);
  t.truthy(form.find('input[name=_csrf]').attr('value'));
  t.is(
    page.$('form:has(button.nhsuk-button--secondary)').attr('action'),
    `${loginPath()}/${interaction.value}/cancel`,
  );
  t.is(page.$('h1').first().text().trim(), 'Sign in with your NHSmail account');
  t.is(page.$('[data-testid=trainer-panel]').length, 1, 'the trainer panel, as on every sign-in page');
  t.is(page.$('[data-testid=test-marker]').text().trim(), 'Test environment — not NHSmail');
});

test('the form posted from the authorization response completes the sign-in', async (t) => {
  const session = new HttpSession();
  const request = await authorizationRequest();
  const page = await session.get(request.url.href, { follow: false });
  t.is(page.status, 200);
  const callback = await signInFrom(session, page, 'jane.smith@nhs.net');
  const tokens = await redeem(callback, request);
  t.is(tokens.claims()?.preferred_username, 'jane.smith@nhs.net');
});

test('GET /<tenant>/login/<uid> still shows the same form, and it signs in too', async (t) => {
  const session = new HttpSession();
  const request = await authorizationRequest();
  const first = await session.get(request.url.href, { follow: false });
  const uid = cookieOf(first, 'nhsmail_interaction')?.value;
  if (!uid) return t.fail('no interaction cookie');

  const again = await session.get(`${system.mockUrl}${loginPath()}/${uid}`, { follow: false });
  t.is(again.status, 200);
  t.is(withoutFormTokens(again), withoutFormTokens(first), 'the same page, form tokens aside');
  for (const header of [
    'content-type',
    'cache-control',
    'x-frame-options',
    'content-security-policy',
    'x-content-type-options',
    'referrer-policy',
  ])
    t.is(again.headers.get(header), first.headers.get(header), header);

  const callback = await signInFrom(session, again, 'tom.jones@nhs.net');
  const tokens = await redeem(callback, request);
  t.is(tokens.claims()?.preferred_username, 'tom.jones@nhs.net');
});

test('the form with an error after a wrong password is the same form, still posting to the interaction', async (t) => {
  const session = new HttpSession();
  const { url } = await authorizationRequest();
  const page = await session.get(url.href, { follow: false });
  const uid = cookieOf(page, 'nhsmail_interaction')?.value;
  const wrong = await session.submit(page, 'form:has(input[name=password])', {
    username: 'jane.smith@nhs.net',
    password: 'Wrong-Passw0rd',
  });
  t.is(wrong.url, `${system.mockUrl}${loginPath()}/${uid}`);
  t.regex(wrong.$('[data-testid=login-error]').text(), /Incorrect user ID or password/);
  t.is(wrong.$('form:has(input[name=password])').attr('action'), `${loginPath()}/${uid}`);
  t.is(wrong.headers.get('cache-control'), 'no-store');
});

test('a signed-in browser asked for consent is still redirected to /<tenant>/login/<uid>', async (t) => {
  const session = new HttpSession();
  const first = await authorizationRequest();
  await signInFrom(session, await session.get(first.url.href, { follow: false }), 'jane.smith@nhs.net');

  const { url } = await authorizationRequest({ prompt: 'consent' });
  const answer = await session.get(url.href, { follow: false });
  t.is(answer.status, 303);
  const uid = cookieOf(answer, 'nhsmail_interaction')?.value;
  t.is(answer.headers.get('location'), `${loginPath()}/${uid}`);
  t.is(answer.$('form:has(input[name=password])').length, 0);
  // The sign-in page has nothing to ask a signed-in user for consent, as before.
  const page = await session.get(new URL(answer.headers.get('location') ?? '', answer.url).href);
  t.is(page.status, 400);
  t.regex(mainText(page), /This sign-in cannot continue/);
});

test('a form that cannot be shown leaves the redirect to /<tenant>/login/<uid> as it was', async (t) => {
  const login = loginRoutes({
    config: system.mockConfig,
    db: system.mockDb,
    provider: system.mock.app,
    logger: createLogger('mock-idp', 'silent'),
  });
  const prefix = loginPath();
  const app = new Koa();
  app.use(
    login.formAtAuthorization([
      async () => {
        throw new Error('the trainer panel could not be read');
      },
    ]),
  );
  // What oidc-provider's authorization endpoint leaves behind for a new interaction.
  app.use(async (ctx) => {
    const prompt = ctx.query.prompt === 'consent' ? 'consent' : 'login';
    Object.assign(ctx, {
      oidc: { route: 'authorization', entities: { Interaction: { uid: 'abc', prompt: { name: prompt } } } },
    } as Partial<KoaContextWithOIDC>);
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 303;
    ctx.redirect(`${prefix}/abc`);
  });
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const query of ['', '?prompt=consent']) {
      const answer = await fetch(`${base}/authorize${query}`, {
        redirect: 'manual',
        headers: { accept: 'text/html' },
      });
      t.is(answer.status, 303, query);
      t.is(answer.headers.get('location'), `${prefix}/abc`, query);
      t.is(answer.headers.get('cache-control'), 'no-store', query);
      t.regex(await answer.text(), /Redirecting to/, query);
    }
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
