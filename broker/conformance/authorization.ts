// The authorization endpoint without a user (the Basic plan's negative tests): prompt=none without a
// session, redirect-URI tampering refused without redirecting, and PKCE required with S256 only. Each
// request comes from a fresh browser, and only the issuer's first answer is judged, so that a check
// never sends the browser on to the upstream's sign-in page.
import { Browser, type Page } from './browser.ts';
import { type CheckRecorder, CheckFailure, expect } from './checks.ts';
import { authorizationRequest, isRedirectUri, type Target } from './target.ts';

export const authorizationChecks = [
  'prompt.none-without-session',
  'redirect-uri.changed-path',
  'redirect-uri.appended-path',
  'redirect-uri.appended-query',
  'pkce.missing-challenge',
  'pkce.plain',
];

/** The issuer's first answer to `url` in a fresh browser, kept for the header checks. */
async function firstAnswer(target: Target, url: URL): Promise<Page> {
  const page = await new Browser().request(url.href);
  target.pages.push(page);
  return page;
}

function where(page: Page): URL | undefined {
  const location = page.headers.get('location');
  return location && page.status >= 300 && page.status < 400 ? new URL(location, page.url) : undefined;
}

/** The request must be refused on the issuer's own page: no redirect to anywhere. */
function expectRefusedWithoutRedirect(page: Page): string {
  const next = where(page);
  if (next) throw new CheckFailure(`accepted: redirected to ${next.origin}${next.pathname}`);
  expect(page.status >= 400 && page.status < 500, `answered ${page.status}, not a 4xx refusal`);
  return `refused with ${page.status}, no redirect`;
}

/** The request must be refused: an error at the redirect URI, or the issuer's own error page. */
function expectRefused(target: Target, page: Page): string {
  const next = where(page);
  if (!next) return expectRefusedWithoutRedirect(page);
  if (!isRedirectUri(target, next))
    throw new CheckFailure(`accepted: the browser went on to sign in (${next.origin}${next.pathname})`);
  const error = next.searchParams.get('error');
  expect(error !== null, 'redirected to the client without an error');
  expect(next.searchParams.get('code') === null, 'redirected to the client with a code');
  return `refused with ${error} at the redirect URI`;
}

function withRedirectUri(registered: string, alter: (uri: URL) => void): string {
  const uri = new URL(registered);
  alter(uri);
  return uri.href;
}

export async function checkAuthorization(recorder: CheckRecorder, target: Target): Promise<void> {
  const registered = target.options.redirectUri;

  // Also the baseline for the tampering checks below: the registered redirect URI is redirected to.
  const baseline = await recorder.check('prompt.none-without-session', async () => {
    const pending = await authorizationRequest(target, { prompt: 'none' });
    const browser = new Browser();
    const outcome = await browser.browse(pending.url.href, registered);
    target.pages.push(...outcome.visited);
    const callback = outcome.callback;
    expect(callback, `the browser did not come back to the redirect URI (stopped at ${outcome.page?.url})`);
    expect(
      callback.searchParams.get('error') === 'login_required',
      `answered error=${callback.searchParams.get('error')} code=${callback.searchParams.has('code')}`,
    );
    expect(callback.searchParams.get('state') === pending.state, 'state was not returned');
    const iss = callback.searchParams.get('iss');
    // RFC 9207: an issuer that advertises `iss` in authorization responses sends it with errors too.
    const issOptional = target.metadata.authorization_response_iss_parameter_supported !== true;
    expect(iss === target.metadata.issuer || (iss === null && issOptional), `iss is ${iss}`);
    return 'login_required at the redirect URI, with state';
  });

  const tampered: Array<[string, string]> = [
    [
      'redirect-uri.changed-path',
      withRedirectUri(registered, (uri) => {
        uri.pathname = `${uri.pathname.replace(/\/$/, '')}-changed`;
      }),
    ],
    [
      'redirect-uri.appended-path',
      withRedirectUri(registered, (uri) => {
        uri.pathname = `${uri.pathname.replace(/\/$/, '')}/extra`;
      }),
    ],
    [
      'redirect-uri.appended-query',
      withRedirectUri(registered, (uri) => {
        uri.searchParams.append('next', '/elsewhere');
      }),
    ],
  ];
  for (const [name, redirectUri] of tampered) {
    if (!baseline) {
      recorder.skip(name, 'the registered redirect URI itself was not redirected to');
      continue;
    }
    await recorder.check(name, async () => {
      const { url } = await authorizationRequest(target, { redirect_uri: redirectUri });
      return expectRefusedWithoutRedirect(await firstAnswer(target, url));
    });
  }

  await recorder.check('pkce.missing-challenge', async () => {
    const { url } = await authorizationRequest(target);
    url.searchParams.delete('code_challenge');
    url.searchParams.delete('code_challenge_method');
    return expectRefused(target, await firstAnswer(target, url));
  });

  await recorder.check('pkce.plain', async () => {
    const { codeVerifier, url } = await authorizationRequest(target);
    url.searchParams.set('code_challenge', codeVerifier);
    url.searchParams.set('code_challenge_method', 'plain');
    return expectRefused(target, await firstAnswer(target, url));
  });
}
