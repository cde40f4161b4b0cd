// A browser that is still signed in to NHSmail: single sign-on skips the mock's sign-in page, except
// when a tester has armed a scenario or changed the account since, which must still take effect.
import test from 'ava';
import { armScenario, signInAs } from '../helpers/flows.ts';
import { HttpSession, type Page } from '../helpers/httpSession.ts';
import { control } from '../helpers/mockControl.ts';
import { startSystem, type TestSystem } from '../helpers/system.ts';

let system: TestSystem;
test.before(async () => {
  system = await startSystem();
  // Seeded personas with an active CQRS account, made active at NHSmail for these tests.
  for (const email of ['locked.user@nhs.net', 'disabled.user@nhs.net', 'expired.password@nhs.net']) {
    await control(system, 'PATCH', `/accounts/${email}`, { body: { state: 'active' } });
  }
});
test.after.always(async () => {
  await system?.close();
});

const heading = (page: Page) => page.$('[data-testid=page-heading]').text().trim();

/**
 * Signs `email` in, then keeps only the NHSmail cookies: the user has signed out of CQRS (app and
 * broker) but the browser is still signed in to NHSmail. Every service is on 127.0.0.1 and cookies
 * ignore ports, so the mock's cookies are told apart by their `nhsmail_` names.
 */
async function stillSignedInToNhsmail(email: string): Promise<HttpSession> {
  const first = await signInAs(system, email);
  if (first.page.url !== `${system.appUrl}/messages`) throw new Error(`${email} did not sign in`);
  const browser = new HttpSession();
  for (const cookie of await first.session.jar.getCookies(system.mockUrl)) {
    if (cookie.key.startsWith('nhsmail_')) await browser.jar.setCookie(cookie, system.mockUrl);
  }
  return browser;
}

async function signInAgain(browser: HttpSession): Promise<Page> {
  const landing = await browser.get(`${system.appUrl}/`);
  const signIn = landing.$('[data-testid=sign-in]').attr('href') ?? '';
  return browser.get(new URL(signIn, landing.url).href);
}

test('with nothing changed, the NHSmail session signs the user in without the sign-in page', async (t) => {
  const browser = await stillSignedInToNhsmail('locked.user@nhs.net');
  const page = await signInAgain(browser);
  t.is(page.url, `${system.appUrl}/messages`);
  t.is(page.$('[data-testid=user-name]').text().trim(), 'Lee Khan');
});

test('a scenario armed for the signed-in account shows the sign-in page and then fires', async (t) => {
  const browser = await stillSignedInToNhsmail('disabled.user@nhs.net');
  await armScenario(system, 'locked', 'disabled.user@nhs.net');
  const page = await signInAgain(browser);
  t.true(page.url.startsWith(`${system.mockUrl}/`), page.url);
  t.is(page.$('input[name=username]').length, 1, 'the NHSmail sign-in page');
  const end = await browser.submit(page, 'form:has(input[name=password])', {
    username: 'disabled.user@nhs.net',
    password: 'Passw0rd-2020',
  });
  t.is(heading(end), 'Your NHSmail account is locked');
});

test('an account disabled since it signed in is asked to sign in again, and refused', async (t) => {
  const browser = await stillSignedInToNhsmail('expired.password@nhs.net');
  await control(system, 'PATCH', '/accounts/expired.password@nhs.net', { body: { state: 'disabled' } });
  const page = await signInAgain(browser);
  t.is(page.$('input[name=username]').length, 1, 'the NHSmail sign-in page, not the message centre');
  const end = await browser.submit(page, 'form:has(input[name=password])', {
    username: 'expired.password@nhs.net',
    password: 'Passw0rd-2020',
  });
  t.is(heading(end), 'Your NHSmail account has been disabled');
});

test('signing out at the mock (linked from its home page) makes the next sign-in ask for a password', async (t) => {
  const browser = await stillSignedInToNhsmail('jane.smith@nhs.net');
  const home = await browser.get(`${system.mockUrl}/`);
  const signOut = home.$('[data-testid=sign-out]').attr('href') ?? '';
  const confirmation = await browser.get(new URL(signOut, home.url).href);
  t.is(heading(confirmation), 'Sign out of NHSmail');
  t.is(confirmation.$('[data-testid=test-marker]').length, 1);
  const done = await browser.submit(confirmation, '#op\\.logoutForm', { logout: 'yes' });
  t.is(heading(done), 'You have signed out of NHSmail');
  const page = await signInAgain(browser);
  t.true(page.url.startsWith(`${system.mockUrl}/`), page.url);
  t.is(page.$('input[name=username]').length, 1, 'the NHSmail sign-in page');
});
