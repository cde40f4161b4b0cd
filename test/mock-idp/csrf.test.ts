// The NHSmail sign-in form is CSRF-protected: a post without this browser's form token is refused with
// a page (403) and signs nobody in, even with the right password.
import test from 'ava';
import { seededPassword } from '../../seeds/personas.ts';
import { openNhsmailSignIn } from '../helpers/flows.ts';
import { HttpSession, mainText } from '../helpers/httpSession.ts';
import { startSystem, type TestSystem } from '../helpers/system.ts';

let system: TestSystem;
test.before(async () => {
  system = await startSystem();
});
test.after.always(async () => {
  await system?.close();
});

const credentials = { username: 'jane.smith@nhs.net', password: seededPassword };

test('a sign-in post without the form token is refused', async (t) => {
  const { session, page } = await openNhsmailSignIn(system);
  const action = new URL(page.$('form:has(input[name=password])').attr('action') ?? '', page.url).href;
  const refused = await session.request(action, { form: credentials });
  t.is(refused.status, 403);
  t.regex(mainText(refused), /The form has expired\. Go back and try again\./);
  t.false(
    refused.trail.some((url) => url.startsWith(system.appUrl)),
    'no redirect back to the app',
  );
});

test('a form token from another browser is refused', async (t) => {
  const other = await openNhsmailSignIn(system);
  const otherToken = other.page.$('input[name=_csrf]').first().attr('value') ?? '';
  const { session, page } = await openNhsmailSignIn(system, new HttpSession());
  const action = new URL(page.$('form:has(input[name=password])').attr('action') ?? '', page.url).href;
  const refused = await session.request(action, { form: { ...credentials, _csrf: otherToken } });
  t.is(refused.status, 403);
  const messages = await session.get(`${system.appUrl}/messages`);
  t.is(messages.url, `${system.appUrl}/`, 'nobody was signed in');
});

test('the same post with the form token signs in', async (t) => {
  const { session, page } = await openNhsmailSignIn(system);
  const accepted = await session.submit(page, 'form:has(input[name=password])', credentials);
  t.is(accepted.url, `${system.appUrl}/messages`);
});
