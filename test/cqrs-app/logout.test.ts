// Signing out of the CQRS app: "Sign out" goes through the broker's RP-initiated logout and back to the
// landing page; signing out at the broker from elsewhere ends the app session by back-channel logout.
import test from 'ava';
import { SignJWT } from 'jose';
import { signInAs } from '../helpers/flows.ts';
import { type HttpSession, mainText, type Page } from '../helpers/httpSession.ts';
import { startSystem, type TestSystem } from '../helpers/system.ts';
import { readAppSession } from './appSession.ts';

let system: TestSystem;
test.before(async () => {
  system = await startSystem();
});
test.after.always(async () => {
  await system?.close();
});

/** Presses "Sign out" in the app's header: a POST form with the CSRF token. */
function pressSignOut(session: HttpSession, page: Page): Promise<Page> {
  return session.submit(page, 'form[action="/auth/logout"]');
}

test('Sign out confirms at the broker and lands on the app saying "You have signed out"', async (t) => {
  const { session, page } = await signInAs(system, 'jane.smith@nhs.net');
  t.is(page.url, `${system.appUrl}/messages`);
  const confirmation = await pressSignOut(session, page);
  t.true(confirmation.url.startsWith(`${system.brokerUrl}/`), confirmation.url);
  t.is(confirmation.$('[data-testid=page-heading]').text().trim(), 'Sign out of CQRS');
  const landing = await session.submit(confirmation, '#op\\.logoutForm', { logout: 'yes' });
  t.is(new URL(landing.url).pathname, '/');
  t.true(landing.url.startsWith(system.appUrl));
  t.regex(mainText(landing), /You have signed out/);
  t.is(landing.$('[data-testid=sign-in]').text().trim(), 'Sign In');
  const messages = await session.get(`${system.appUrl}/messages`);
  t.is(messages.url, `${system.appUrl}/`);
  t.false(/You have signed out/.test(mainText(messages)), 'the message shows once');
  // The broker session ended too: a new sign-in goes back to NHSmail.
  const again = await session.get(`${system.appUrl}/auth/login`);
  t.true(
    again.trail.some((url) => url.startsWith(system.mockUrl)),
    'the broker sent the browser to NHSmail again',
  );
});

test('after signing out, the next Sign In in that browser asks NHSmail for the password again', async (t) => {
  const { session, page } = await signInAs(system, 'tom.jones@nhs.net');
  // Without a sign-out, the live NHSmail session signs the browser straight back in.
  const silent = await session.get(`${system.appUrl}/auth/login`);
  t.is(silent.url, `${system.appUrl}/messages`);
  const confirmation = await pressSignOut(session, page);
  await session.submit(confirmation, '#op\\.logoutForm', { logout: 'yes' });
  // The NHSmail session is still alive, but on a shared computer the next person must not become Tom.
  const next = await session.get(`${system.appUrl}/auth/login`);
  t.true(next.url.startsWith(`${system.mockUrl}/`), next.url);
  t.truthy(next.$('input[name=password]').length, 'the NHSmail password is asked for');
  const authorize = next.trail.findIndex((url) => url.includes('/oauth2/v2.0/authorize'));
  t.is(new URL(next.trail[authorize] ?? 'http://x').searchParams.get('prompt'), 'login');
  // The broker's authorization endpoint read the sign-out mark itself: no hop in between.
  t.is(new URL(next.trail[authorize - 1] ?? 'http://x').pathname, '/auth');
  // Once signed in again with the password, single sign-on works as before.
  const back = await session.submit(next, 'form:has(input[name=password])', {
    username: 'tom.jones@nhs.net',
    password: 'Passw0rd-2020',
  });
  t.is(back.url, `${system.appUrl}/messages`);
  const silentAgain = await session.get(`${system.appUrl}/auth/login`);
  // A password form on the way (the NHSmail authorization endpoint's own answer) would stop here.
  t.is(silentAgain.url, `${system.appUrl}/messages`, 'no password page');
});

test('Sign out without the CSRF token is refused and keeps the user signed in', async (t) => {
  const { session } = await signInAs(system, 'jane.smith@nhs.net');
  const refused = await session.request(`${system.appUrl}/auth/logout`, { form: { _csrf: 'forged' } });
  t.is(refused.status, 403);
  t.regex(mainText(refused), /The form has expired\. Go back and try again\./);
  t.is(refused.$('.nhsuk-header__service-name').text().trim(), 'Calculating Quality Reporting Service');
  const messages = await session.get(`${system.appUrl}/messages`);
  t.is(messages.url, `${system.appUrl}/messages`);
});

test('signing out at the broker from elsewhere ends the app session by back-channel logout', async (t) => {
  const { session } = await signInAs(system, 'tom.jones@nhs.net');
  const stored = await readAppSession(system, session);
  t.is(typeof stored?.user?.sid, 'string', 'the app keeps the broker session id');
  // The user signs out at the broker directly (say, from another CQRS app's sign-out link).
  const confirmation = await session.get(`${system.brokerUrl}/session/end`);
  t.is(confirmation.$('[data-testid=page-heading]').text().trim(), 'Sign out of CQRS');
  const done = await session.submit(confirmation, '#op\\.logoutForm', { logout: 'yes' });
  t.is(done.$('[data-testid=page-heading]').text().trim(), 'You have signed out');
  t.is(await readAppSession(system, session), undefined, 'the app dropped the session');
  const messages = await session.get(`${system.appUrl}/messages`);
  t.is(messages.url, `${system.appUrl}/`);
});

test('another user’s sessions are untouched by a back-channel logout', async (t) => {
  const jane = await signInAs(system, 'jane.smith@nhs.net');
  const tom = await signInAs(system, 'tom.jones@nhs.net');
  const confirmation = await tom.session.get(`${system.brokerUrl}/session/end`);
  await tom.session.submit(confirmation, '#op\\.logoutForm', { logout: 'yes' });
  const messages = await jane.session.get(`${system.appUrl}/messages`);
  t.is(messages.url, `${system.appUrl}/messages`);
  t.is(messages.$('[data-testid=user-name]').text().trim(), 'Jane Smith');
});

async function postLogoutToken(token: string) {
  const response = await fetch(`${system.appUrl}/auth/backchannel-logout`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ logout_token: token }),
  });
  return { status: response.status, body: await response.text() };
}

test('the back-channel endpoint refuses tokens the broker did not sign', async (t) => {
  const { session } = await signInAs(system, 'jane.smith@nhs.net');
  const sid = (await readAppSession(system, session))?.user?.sid ?? '';
  const forged = await new SignJWT({
    sid,
    events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'logout+jwt' })
    .setIssuer(system.brokerUrl)
    .setAudience('cqrs-app')
    .setIssuedAt()
    .setJti('forged')
    .sign(new TextEncoder().encode('an attacker chose this key, 32+ bytes long'));
  const answer = await postLogoutToken(forged);
  t.is(answer.status, 400);
  t.is(JSON.parse(answer.body).error, 'invalid_request');
  t.is((await postLogoutToken('not-a-jwt')).status, 400);
  const messages = await session.get(`${system.appUrl}/messages`);
  t.is(messages.url, `${system.appUrl}/messages`, 'the session survived');
});
