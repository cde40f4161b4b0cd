// The broker's authorization endpoint sends a browser that must sign in straight on to NHSmail, with
// the interaction cookie set as oidc-provider sets it; /interaction/<uid> stays for retries, for the
// first-party consent prompt and for when NHSmail cannot be reached.
import test from 'ava';
import { personaByEmail } from '../../seeds/personas.ts';
import { armScenario } from '../helpers/flows.ts';
import { HttpSession, mainText, type Page } from '../helpers/httpSession.ts';
import {
  authorizationRequest,
  browse,
  redeem,
  signIn,
  startRelyingPartyFixture,
} from '../helpers/relyingParty.ts';

const { system, client, close } = await startRelyingPartyFixture();
test.after.always(close);

const janeId = personaByEmail('jane.smith@nhs.net')?.cqrsAccountId;
const tomId = personaByEmail('tom.jones@nhs.net')?.cqrsAccountId;
const upstreamAuthorize = () => `${system.mockUrl}/${system.mockConfig.tenantId}/oauth2/v2.0/authorize`;

/** The Location of a redirect, resolved against the page it came from. */
function locationOf(page: Page): URL {
  const location = page.headers.get('location');
  if (!location) throw new Error(`${page.url} answered ${page.status} without a Location`);
  return new URL(location, page.url);
}

/** The broker's interaction cookie set by `page`: its value (the interaction uid) and its path. */
function interactionCookieOf(page: Page): { uid: string; path: string | undefined } | undefined {
  const cookie = page.headers.getSetCookie().find((each) => each.startsWith('cqrs_broker_interaction='));
  if (!cookie) return undefined;
  const [pair = '', ...attributes] = cookie.split(';').map((part) => part.trim());
  const path = attributes.find((attribute) => attribute.toLowerCase().startsWith('path='));
  return { uid: pair.slice(pair.indexOf('=') + 1), path: path?.slice('path='.length) };
}

test('GET /auth sends the browser straight to NHSmail, with the interaction cookie for /interaction/<uid>', async (t) => {
  const session = new HttpSession();
  const pending = await authorizationRequest(client);
  const answer = await session.get(pending.url.href, { follow: false });
  t.is(answer.status, 303);
  const upstream = locationOf(answer);
  t.is(`${upstream.origin}${upstream.pathname}`, upstreamAuthorize());
  const cookie = interactionCookieOf(answer);
  if (!cookie) return t.fail('no interaction cookie');
  t.is(cookie.path, `/interaction/${cookie.uid}`);
  const query = upstream.searchParams;
  t.is(query.get('redirect_uri'), `${system.brokerUrl}/upstream/callback`);
  t.is(query.get('response_type'), 'code');
  t.is(query.get('code_challenge_method'), 'S256');
  t.regex(query.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
  t.truthy(query.get('nonce'));
  t.not(query.get('nonce'), pending.nonce, 'the upstream nonce is the broker’s own');
  t.true(query.get('state')?.startsWith(`${cookie.uid}.`), 'the state names the interaction');
  t.is(query.get('prompt'), null);

  // The rest of the sign-in goes on from NHSmail as before, and the app gets its code.
  const outcome = await browse(session, upstream.href, client.redirectUri, 'jane.smith@nhs.net');
  t.true(outcome.sawNhsmailLogin);
  if (!outcome.callback) return t.fail(`stopped at ${outcome.page?.url}`);
  t.is((await redeem(client, outcome.callback, pending)).claims()?.sub, janeId);
});

test('prompt=login reaches NHSmail as prompt=login from /auth', async (t) => {
  const { url } = await authorizationRequest(client, { prompt: 'login' });
  const answer = await new HttpSession().get(url.href, { follow: false });
  t.is(answer.status, 303);
  const upstream = locationOf(answer);
  t.is(`${upstream.origin}${upstream.pathname}`, upstreamAuthorize());
  t.is(upstream.searchParams.get('prompt'), 'login');
});

test('after a refused sign-in, "Try signing in again" at /interaction/<uid> starts NHSmail again and completes', async (t) => {
  // Tom alone: the other tests sign Jane in meanwhile.
  await armScenario(system, 'consent_declined', 'tom.jones@nhs.net');
  const session = new HttpSession();
  const pending = await authorizationRequest(client);
  const refused = await browse(session, pending.url.href, client.redirectUri, 'tom.jones@nhs.net');
  const page = refused.page;
  if (!page) return t.fail('the declined sign-in reached the app');
  t.is(page.status, 400);
  t.is(page.$('h1').first().text().trim(), 'Sign-in was cancelled');
  const retry = page.$('[data-testid=retry]').attr('href') ?? '';
  t.regex(retry, /^\/interaction\/[A-Za-z0-9_-]+$/);

  const again = await session.get(new URL(retry, page.url).href, { follow: false });
  const upstream = locationOf(again);
  t.is(`${upstream.origin}${upstream.pathname}`, upstreamAuthorize());
  const outcome = await browse(session, upstream.href, client.redirectUri, 'tom.jones@nhs.net');
  if (!outcome.callback) return t.fail(`stopped at ${outcome.page?.url}`);
  t.is((await redeem(client, outcome.callback, pending)).claims()?.sub, tomId);
});

test("a browser at another sign-in's /interaction/<uid> gets the refusal page, and the refusal is audited", async (t) => {
  // Another browser's sign-in, in progress.
  const other = await new HttpSession().get((await authorizationRequest(client)).url.href, { follow: false });
  const otherUid = interactionCookieOf(other)?.uid;
  if (!otherUid) return t.fail('no interaction cookie for the other browser');
  // This browser's own sign-in, whose interaction cookie it sends on every path (as when something
  // between the browser and the broker drops the cookie's Path).
  const session = new HttpSession();
  const own = await session.get((await authorizationRequest(client)).url.href, { follow: false });
  const ownUid = interactionCookieOf(own)?.uid;
  if (!ownUid) return t.fail('no interaction cookie for this browser');
  for (const cookie of await session.jar.getCookies(`${system.brokerUrl}/interaction/${ownUid}`)) {
    if (!cookie.key.startsWith('cqrs_broker_interaction')) continue;
    const everywhere = cookie.clone();
    if (!everywhere) return t.fail('the interaction cookie could not be copied');
    everywhere.path = '/';
    await session.jar.setCookie(everywhere, system.brokerUrl);
  }

  const page = await session.get(`${system.brokerUrl}/interaction/${otherUid}`, { follow: false });
  t.is(page.status, 400);
  t.is(page.$('h1').first().text().trim(), 'Authentication Error');
  t.regex(
    page.$('[data-testid=error-text]').text(),
    /We seem to be having trouble authenticating your account/,
  );
  t.is(page.headers.get('location'), null, 'neither NHSmail nor the other sign-in goes on');
  const correlationId = page.$('[data-testid=correlation-id]').text().trim();
  t.regex(correlationId, /^[0-9a-f-]{36}$/);
  const [event] = await system.broker.audit.recent({ limit: 1, correlationId });
  t.is(event?.outcome, 'interaction_mismatch');
  t.is(event?.clientId, client.clientId);
});

test('a signed-in user asked for consent still goes to /interaction/<uid>, never to NHSmail', async (t) => {
  const { session } = await signIn(client, 'jane.smith@nhs.net');
  const pending = await authorizationRequest(client, { prompt: 'consent' });
  const answer = await session.get(pending.url.href, { follow: false });
  t.is(answer.status, 303);
  const cookie = interactionCookieOf(answer);
  t.is(locationOf(answer).href, `${system.brokerUrl}/interaction/${cookie?.uid}`);
  const outcome = await browse(session, locationOf(answer).href, client.redirectUri);
  if (!outcome.callback) return t.fail(`stopped at ${outcome.page?.url}`);
  t.is((await redeem(client, outcome.callback, pending)).claims()?.sub, janeId);
});

test('NHSmail unreachable at /auth: the browser lands on the same "unavailable" page at /interaction/<uid>', async (t) => {
  // Port 9 on loopback (discard) has no listener here: discovery fails at once.
  const unreachable = await startRelyingPartyFixture({ UPSTREAM_ISSUER: 'http://127.0.0.1:9/tenant/v2.0' });
  try {
    const session = new HttpSession();
    const { url } = await authorizationRequest(unreachable.client);
    const page = await session.get(url.href);
    t.is(page.status, 503);
    t.deepEqual(
      page.trail.map((each) => new URL(each).pathname.replace(/^\/interaction\/[^/]+$/, '/interaction/:uid')),
      ['/auth', '/interaction/:uid'],
    );
    t.regex(mainText(page), /NHSmail sign-in is unavailable, try again later/);
    t.is(page.$('[data-testid=retry]').attr('href'), new URL(page.url).pathname);
    const events = await unreachable.system.broker.audit.recent({ limit: 5 });
    t.deepEqual(
      events.map((event) => event.outcome),
      ['upstream_unavailable'],
      'one refusal, audited once',
    );
  } finally {
    await unreachable.close();
  }
});
