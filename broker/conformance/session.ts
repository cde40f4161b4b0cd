// What a signed-in browser and its tokens can do (the Basic and RP-initiated logout plans): userinfo by
// GET and POST, refresh tokens rotated with the old one refused, max_age forcing a fresh sign-in, and
// RP-initiated logout ending the session so that prompt=none answers login_required afterwards, with
// the back-channel logout token it sends when the command listens for it.
import * as oidc from 'openid-client';
import { type LogoutTokenListener, listenForLogoutTokens, verifyLogoutToken } from './backchannel.ts';
import type { Browser } from './browser.ts';
import { CheckFailure, type CheckRecorder, expect, skip } from './checks.ts';
import { authorize, oauthError, redeem, type Tokens } from './codeFlow.ts';
import { authorizationRequest, type Target } from './target.ts';

export const sessionChecks = [
  'userinfo.get',
  'userinfo.post',
  'refresh.rotation',
  'max-age',
  'logout.rp-initiated',
  'logout.backchannel',
];

/** How long the provider has to deliver a logout token after the sign-out. */
const backchannelWaitMs = 10_000;

/** A silent sign-in in the signed-in browser, redeemed. */
async function freshTokens(target: Target, browser: Browser): Promise<Tokens> {
  return redeem(target, await authorize(target, browser));
}

export async function checkSession(recorder: CheckRecorder, target: Target, browser: Browser): Promise<void> {
  let tokens: Tokens | undefined;
  const sub = () => tokens?.claims()?.sub ?? '';

  await recorder.check('userinfo.get', async () => {
    tokens = await freshTokens(target, browser);
    // openid-client insists that userinfo's sub is the id_token's.
    const userinfo = await oidc.fetchUserInfo(target.config, tokens.access_token, sub());
    return `claims ${Object.keys(userinfo).sort().join(', ')}`;
  });

  await recorder.check('userinfo.post', async () => {
    if (!tokens) skip('no tokens');
    const endpoint = new URL(target.metadata.userinfo_endpoint ?? '');
    const response = await oidc.fetchProtectedResource(target.config, tokens.access_token, endpoint, 'POST');
    expect(response.status === 200, `answered ${response.status}`);
    const userinfo = (await response.json()) as { sub?: string };
    expect(userinfo.sub === sub(), 'userinfo by POST names another sub');
    return 'the same sub by POST';
  });

  await recorder.check('refresh.rotation', async () => {
    if (!tokens) skip('no tokens');
    const first = tokens.refresh_token;
    if (!first) skip(`no refresh token was issued for scope "${target.options.scope}"`);
    const rotated = await oidc.refreshTokenGrant(target.config, first);
    expect(rotated.refresh_token, 'the refresh answered no new refresh token');
    expect(rotated.refresh_token !== first, 'the refresh token was not rotated');
    await oidc.fetchUserInfo(target.config, rotated.access_token, sub());
    const reuse = await oauthError(oidc.refreshTokenGrant(target.config, first));
    expect(reuse === 'invalid_grant', `the old refresh token answered ${reuse}`);
    return 'a new refresh token on each use; the old one is invalid_grant';
  });

  await recorder.check('max-age', async () => {
    const authorization = await authorize(target, browser, { max_age: '0' });
    expect(authorization.sawLoginForm, 'max_age=0 did not ask the user to sign in again');
    const fresh = await redeem(target, authorization, 0);
    expect(typeof fresh.claims()?.auth_time === 'number', 'the id_token has no auth_time');
    tokens = fresh;
    return 'a fresh sign-in, and auth_time in the id_token';
  });

  const port = target.options.backchannelPort;
  let listener: LogoutTokenListener | undefined;
  let cannotListen: string | undefined;
  if (port !== undefined)
    listener = await listenForLogoutTokens(port).catch((error: Error) => {
      cannotListen = `cannot listen on 127.0.0.1:${port}: ${error.message}`;
      return undefined;
    });
  let signedOutSession: { sub: string | undefined; sid: string | undefined } | undefined;
  try {
    await recorder.check('logout.rp-initiated', async () => {
      const latest = tokens ?? (await freshTokens(target, browser));
      const claims = latest.claims();
      signedOutSession = { sub: claims?.sub, sid: typeof claims?.sid === 'string' ? claims.sid : undefined };
      await signOut(target, browser, latest.id_token ?? '');
      const pending = await authorizationRequest(target, { prompt: 'none' });
      const outcome = await browser.browse(pending.url.href, target.options.redirectUri);
      const error = outcome.callback?.searchParams.get('error');
      expect(error === 'login_required', `prompt=none after sign-out answered ${error ?? outcome.page?.url}`);
      return 'signed out; prompt=none then answers login_required';
    });
    await recorder.check('logout.backchannel', async () => {
      if (cannotListen) throw new CheckFailure(cannotListen);
      if (!listener) skip("needs --backchannel-port (where the client's backchannel_logout_uri points)");
      if (!signedOutSession) skip('no sign-out');
      const token = await listener.next(backchannelWaitMs);
      expect(token, `no logout token within ${backchannelWaitMs / 1000} s of the sign-out`);
      return verifyLogoutToken(target, token, signedOutSession);
    });
  } finally {
    await listener?.close();
  }
}

/** Sends the browser to the end_session endpoint and confirms, following redirects to the end. */
async function signOut(target: Target, browser: Browser, idToken: string): Promise<void> {
  expect(target.metadata.end_session_endpoint, 'no end_session_endpoint');
  const endSession = oidc.buildEndSessionUrl(target.config, { id_token_hint: idToken });
  let page = await browser.request(endSession.href);
  target.pages.push(page);
  // oidc-provider asks the user to confirm with a form posted back to the end_session endpoint.
  const confirmation = page.$('form').filter((_index, form) => {
    const action = new URL(page.$(form).attr('action') ?? page.url, page.url);
    return action.pathname.startsWith(endSession.pathname);
  });
  if (page.status === 200 && confirmation.length > 0) {
    const id = confirmation.first().attr('id');
    page = await browser.submit(page, id ? `form[id="${id}"]` : 'form', { logout: 'yes' });
  }
  for (let hop = 0; hop < 10 && page.status >= 300 && page.status < 400; hop += 1) {
    const location = page.headers.get('location');
    if (!location) break;
    page = await browser.request(new URL(location, page.url).href);
  }
  if (page.status >= 400) throw new CheckFailure(`the sign-out ended with ${page.status} at ${page.url}`);
}
