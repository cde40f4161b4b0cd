// Issue 8.6: another browser's genuine NHSmail callback, opened in a browser that never started the
// sign-in (login CSRF, or a copied link), is refused, audited with its own outcome and the
// correlation id that the page shows, and spends the callback so that neither browser can use it.
import test from 'ava';
import { seededPassword } from '../../seeds/personas.ts';
import { openNhsmailSignIn } from '../helpers/flows.ts';
import { HttpSession, type Page } from '../helpers/httpSession.ts';
import { startSystem } from '../helpers/system.ts';

const system = await startSystem();
test.after.always(() => system.close());

/** Signs in at NHSmail in `session` and stops before the browser would load the broker's callback. */
async function upstreamCallbackOf(session: HttpSession): Promise<string> {
  const { page } = await openNhsmailSignIn(system, session);
  let response: Page = await session.submit(
    page,
    'form:has(input[name=password])',
    { username: 'jane.smith@nhs.net', password: seededPassword },
    { follow: false },
  );
  for (let hop = 0; hop < 10; hop += 1) {
    if (response.url.startsWith(`${system.brokerUrl}/upstream/callback`)) return response.url;
    const location = response.headers.get('location');
    if (!location) break;
    response = await session.get(new URL(location, response.url).href, { follow: false });
  }
  throw new Error(`no upstream callback; stopped at ${response.url}`);
}

test('a callback opened in a browser that never started the sign-in is refused and audited', async (t) => {
  const victim = new HttpSession();
  const attackerCallback = await upstreamCallbackOf(new HttpSession());
  const page = await victim.get(attackerCallback);
  t.is(page.status, 400);
  t.is(page.$('h1').first().text().trim(), 'Authentication Error');
  const correlationId = page.$('[data-testid=correlation-id]').text().trim();
  t.regex(correlationId, /^[0-9a-f-]{36}$/);
  const [event] = await system.broker.audit.recent({ limit: 1, correlationId });
  t.is(event?.outcome, 'login_csrf');
  t.is(
    (await victim.get(`${system.appUrl}/messages`)).url,
    `${system.appUrl}/`,
    'the victim is not signed in',
  );
});
