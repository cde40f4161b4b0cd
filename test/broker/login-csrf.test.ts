// Another browser's genuine NHSmail callback, opened in a browser that never started the
// sign-in (login CSRF, or a copied link), is refused, audited with its own outcome and the
// correlation id that the page shows, and spends the callback so that neither browser can use it.
// The browser that started a sign-in carries a signed mark to the callback and finishes there; any
// other callback goes on to its interaction's path, where oidc-provider's interaction cookie decides.
import test, { type ExecutionContext } from 'ava';
import { seededPassword } from '../../seeds/personas.ts';
import { openNhsmailSignIn } from '../helpers/flows.ts';
import { HttpSession, type Page } from '../helpers/httpSession.ts';
import { startSystem } from '../helpers/system.ts';

const system = await startSystem();
test.after.always(() => system.close());

/** Signs in at NHSmail in `session` and stops before the browser would load the broker's callback. */
async function upstreamCallbackOf(session: HttpSession): Promise<string> {
  const { page } = await openNhsmailSignIn(system, session);
  return callbackAfterSignIn(session, page);
}

/** Signs in on NHSmail's form `page`; the broker callback NHSmail then redirects to, not yet loaded. */
async function callbackAfterSignIn(session: HttpSession, page: Page): Promise<string> {
  let response: Page = await session.submit(
    page,
    'form:has(input[name=password])',
    { username: 'jane.smith@nhs.net', password: seededPassword },
    { follow: false },
  );
  for (let hop = 0; hop < 10; hop += 1) {
    const location = response.headers.get('location');
    if (!location) break;
    const next = new URL(location, response.url).href;
    if (next.startsWith(`${system.brokerUrl}/upstream/callback`)) return next;
    response = await session.get(next, { follow: false });
  }
  throw new Error(`no upstream callback; stopped at ${response.url}`);
}

/** The Authentication Error page, 400, whose correlation id finds a `login_csrf` audit row. */
async function assertRefusedAsLoginCsrf(t: ExecutionContext, page: Page): Promise<void> {
  t.is(page.status, 400);
  t.is(page.$('h1').first().text().trim(), 'Authentication Error');
  const correlationId = page.$('[data-testid=correlation-id]').text().trim();
  t.regex(correlationId, /^[0-9a-f-]{36}$/);
  const [event] = await system.broker.audit.recent({ limit: 1, correlationId });
  t.is(event?.outcome, 'login_csrf');
}

test('a callback opened in a browser that never started the sign-in is refused and audited', async (t) => {
  const victim = new HttpSession();
  const attackerCallback = await upstreamCallbackOf(new HttpSession());
  const page = await victim.get(attackerCallback);
  await assertRefusedAsLoginCsrf(t, page);
  t.is(
    (await victim.get(`${system.appUrl}/messages`)).url,
    `${system.appUrl}/`,
    'the victim is not signed in',
  );
});

test('the browser that started a sign-in finishes it at the callback; an earlier tab goes on to its interaction', async (t) => {
  const browser = new HttpSession();
  // Two tabs of one browser at NHSmail's form; the later one's mark is the browser's.
  const earlier = await openNhsmailSignIn(system, browser);
  const later = await openNhsmailSignIn(system, browser);
  const earlierCallback = await callbackAfterSignIn(browser, earlier.page);
  const laterCallback = await callbackAfterSignIn(browser, later.page);

  const finished = await browser.get(laterCallback, { follow: false });
  t.is(finished.status, 303);
  t.regex(
    finished.headers.get('location') ?? '',
    /\/auth\/[^/?]+$/,
    'on to the authorization resume at once',
  );

  const forwarded = await browser.get(earlierCallback, { follow: false });
  t.is(forwarded.status, 302);
  const hop = new URL(forwarded.headers.get('location') ?? '', forwarded.url);
  t.regex(hop.pathname, /^\/interaction\/[^/]+\/callback$/);
  const resumed = await browser.get(hop.href, { follow: false });
  t.is(resumed.status, 303, 'the interaction cookie binds the earlier tab');
  t.regex(resumed.headers.get('location') ?? '', /\/auth\/[^/?]+$/);
});

test('a mark the broker did not sign binds no browser to a sign-in', async (t) => {
  const attackerCallback = await upstreamCallbackOf(new HttpSession());
  const state = new URL(attackerCallback).searchParams.get('state') ?? '';
  const victim = new HttpSession();
  await victim.jar.setCookie(
    `cqrs_broker_upstream_state=${state}; Path=/upstream/callback`,
    `${system.brokerUrl}/upstream/callback`,
  );
  const page = await victim.get(attackerCallback);
  t.is(page.status, 400);
  const correlationId = page.$('[data-testid=correlation-id]').text().trim();
  const [event] = await system.broker.audit.recent({ limit: 1, correlationId });
  t.is(event?.outcome, 'login_csrf');
});

test('an interaction page opened without its cookie is refused and audited, and the browser that has it goes on', async (t) => {
  const owner = new HttpSession();
  const authorize = await owner.get(`${system.appUrl}/auth/login`, { follow: false });
  const atBroker = await owner.get(authorize.headers.get('location') ?? '', { follow: false });
  // The interaction cookie is named cqrs_broker_interaction and scoped to /interaction/<uid>.
  const uid = atBroker.headers
    .getSetCookie()
    .find((each) => each.startsWith('cqrs_broker_interaction='))
    ?.split(';')[0]
    ?.split('=')[1];
  if (!uid) return t.fail('no interaction cookie');
  const interactionUrl = `${system.brokerUrl}/interaction/${uid}`;

  const page = await new HttpSession().get(interactionUrl);
  await assertRefusedAsLoginCsrf(t, page);

  // The browser that started it still has its sign-in: the page sends it on to NHSmail.
  const resumed = await owner.get(interactionUrl, { follow: false });
  t.is(resumed.status, 302);
  t.true(resumed.headers.get('location')?.startsWith(system.mockUrl));
});
