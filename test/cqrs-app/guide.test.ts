// The published guide's journey over real HTTP: steps 1-3 for a CQRS user, step 5 for a user without
// a CQRS account, and a broker restart in the middle of a session.
import test from 'ava';
import { mainText } from '../helpers/httpSession.ts';
import { openNhsmailSignIn, signInAs, submitCredentials } from '../helpers/flows.ts';
import { startSystem, type TestSystem } from '../helpers/system.ts';

let system: TestSystem;
test.before(async () => {
  system = await startSystem();
});
test.after.always(async () => {
  await system?.close();
});

test('step 1: the CQRS landing page has the Sign In button', async (t) => {
  const { page } = await openNhsmailSignIn(system);
  t.is(page.status, 200);
  // As at Entra, the NHSmail authorization endpoint answers with the sign-in form itself.
  const { tenantId } = system.mockConfig;
  t.true(page.url.startsWith(`${system.mockUrl}/${tenantId}/oauth2/v2.0/authorize?`), page.url);
  t.regex(
    page.$('form:has(input[name=password])').attr('action') ?? '',
    new RegExp(`^/${tenantId}/login/[^/]+$`),
  );
  t.true(
    page.trail.some((url) => url.startsWith(`${system.brokerUrl}/auth?`)),
    'the app sends the browser to the broker',
  );
});

test('step 2: the NHSmail page has the guide wording and the test marker', async (t) => {
  const { page } = await openNhsmailSignIn(system);
  const text = mainText(page);
  t.regex(text, /Sign in with your NHSmail account/);
  t.is(page.$('label[for=username]').text().trim(), 'User ID');
  t.is(page.$('label[for=password]').text().trim(), 'Password');
  t.is(page.$('label[for=private]').text().trim(), 'This is a private computer');
  t.is(page.$('button[type=submit]').first().text().trim(), 'Sign in');
  t.regex(text, /Unlock Account or Forgotten Password\? Click here\./);
  t.is(page.$('[data-testid=test-marker]').text().trim(), 'Test environment — not NHSmail');
  t.is(page.$('svg.nhsuk-header__logo title').text(), 'NHS');
});

test('step 3: Jane Smith reaches her message centre with her name and practice', async (t) => {
  const { session, page } = await signInAs(system, 'Jane.Smith@NHS.net');
  t.is(page.status, 200);
  t.is(page.url, `${system.appUrl}/messages`);
  t.is(page.$('[data-testid=user-name]').text().trim(), 'Jane Smith');
  t.regex(page.$('[data-testid=organisations]').text(), /The Densham Surgery \(A81001\)/);
  t.true(page.$('[data-testid=messages] li').length >= 2);
  const again = await session.get(`${system.appUrl}/messages`);
  t.is(again.url, `${system.appUrl}/messages`, 'the session holds');
});

test('step 5: an NHSmail user without a CQRS account gets the Authentication Error page and no tokens', async (t) => {
  const { session, page } = await signInAs(system, 'no.cqrs@nhs.net');
  t.is(page.status, 403);
  t.true(page.url.startsWith(system.brokerUrl), page.url);
  t.is(page.$('[data-testid=page-heading]').text().trim(), 'Authentication Error');
  t.regex(
    mainText(page),
    /We seem to be having trouble authenticating your account\. Please try again\. If you continue to receive this error, please contact the CQRS Help Desk\./,
  );
  t.regex(mainText(page), /Email: support@cqrs\.co\.uk/);
  t.regex(mainText(page), /Phone: 0800 4402777 \(8am-6pm Mon-Fri exc Bank Holidays\)/);
  t.is(page.$('header a.nhsuk-header__navigation-link').first().text().trim(), 'Home');
  const correlationId = page.$('[data-testid=correlation-id]').text().trim();
  t.regex(correlationId, /^[0-9a-f-]{36}$/);
  const events = await system.broker.audit.recent({ limit: 5, correlationId });
  t.is(events[0]?.outcome, 'no_account');
  const messages = await session.get(`${system.appUrl}/messages`);
  t.is(messages.url, `${system.appUrl}/`, 'the app has no signed-in user');
  t.true(
    page.trail.every((url) => !url.includes('/auth/callback')),
    'the app never received an authorization response',
  );
});

test('step 4: a wrong password shows the guide error on the NHSmail page', async (t) => {
  const { session, page } = await openNhsmailSignIn(system);
  const result = await submitCredentials(session, page, 'jane.smith@nhs.net', 'not-the-password');
  t.is(result.status, 200);
  t.regex(
    mainText(result),
    /Incorrect user ID or password\. Type the correct user ID and password, and try again\./,
  );
});

test.serial('a broker restart in the middle of a session keeps the user signed in', async (t) => {
  const { session } = await signInAs(system, 'tom.jones@nhs.net');
  const jwksBefore = await (await fetch(`${system.brokerUrl}/jwks`)).json();
  await system.restartBroker();
  const jwksAfter = await (await fetch(`${system.brokerUrl}/jwks`)).json();
  t.deepEqual(jwksAfter, jwksBefore, 'the same signing keys after the restart');
  // A new sign-in at the app goes through the broker, which still knows the browser: no NHSmail page.
  const landing = await session.get(`${system.appUrl}/auth/login`);
  t.is(landing.url, `${system.appUrl}/messages`);
  t.false(
    landing.trail.some((url) => url.startsWith(system.mockUrl)),
    'NHSmail was not asked again',
  );
  t.is(landing.$('[data-testid=user-name]').text().trim(), 'Tom Jones');
});

test('every service sends the anti-framing, no-sniff and no-referrer headers', async (t) => {
  for (const url of [`${system.appUrl}/`, `${system.brokerUrl}/`, `${system.mockUrl}/`]) {
    const response = await fetch(url);
    t.is(response.headers.get('x-frame-options'), 'DENY', url);
    t.is(response.headers.get('x-content-type-options'), 'nosniff', url);
    t.is(response.headers.get('referrer-policy'), 'no-referrer', url);
  }
});
