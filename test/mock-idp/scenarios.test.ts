// Every scenario of the mock's failure catalogue, armed through the control API for the next sign-in,
// with what the user and the broker observe. Each test arms for its own account, so tests run in
// parallel without taking each other's scenarios.
import test, { type ExecutionContext } from 'ava';
import { scenarioNames } from '../../mock-idp/scenarios/index.ts';
import { seededPassword } from '../../seeds/personas.ts';
import { armScenario, openNhsmailSignIn, signInAs, submitCredentials } from '../helpers/flows.ts';
import { type HttpSession, mainText, type Page } from '../helpers/httpSession.ts';
import { control, createMockAccount, mockAccount } from '../helpers/mockControl.ts';
import { startSystem, type TestSystem } from '../helpers/system.ts';

let system: TestSystem;
test.before(async () => {
  system = await startSystem();
});
test.after.always(async () => {
  await system?.close();
});

const covered = new Set<string>();
const heading = (page: Page) => page.$('[data-testid=page-heading]').text().trim();

/** A fresh NHSmail account (no CQRS account) with `scenario` armed for its next sign-in. */
async function armedAccount(scenario: string): Promise<string> {
  const email = `scenario-${scenario.replaceAll('_', '-')}@nhs.net`;
  await createMockAccount(system, email);
  await armScenario(system, scenario, email);
  covered.add(scenario);
  return email;
}

async function assertNoAppSession(t: ExecutionContext, session: HttpSession) {
  const messages = await session.get(`${system.appUrl}/messages`);
  t.is(messages.url, `${system.appUrl}/`, 'the app never got a session');
}

async function brokerAudit(page: Page) {
  const correlationId = page.$('[data-testid=correlation-id]').text().trim();
  const [event] = await system.broker.audit.recent({ limit: 1, correlationId });
  if (!event) throw new Error(`no audit event for correlation id "${correlationId}"`);
  return event;
}

test('wrong_password: the sign-in page says "Incorrect user ID or password" and the failure counts', async (t) => {
  const email = await armedAccount('wrong_password');
  const { page } = await signInAs(system, email);
  t.regex(mainText(page), /Incorrect user ID or password\. Type the correct user ID and password/);
  t.is((await mockAccount(system, email)).failedAttempts, 1);
});

test('unknown_user: the same page as a wrong password, recorded as AADSTS50034', async (t) => {
  const email = await armedAccount('unknown_user');
  const { page } = await signInAs(system, email);
  t.regex(mainText(page), /Incorrect user ID or password\. Type the correct user ID and password/);
  const [attempt] = (await control(system, 'GET', `/attempts?email=${email}&limit=1`)).body.attempts;
  t.is(attempt.errorCode, 'AADSTS50034');
  t.is((await mockAccount(system, email)).failedAttempts, 0, 'an unknown user has no count to add to');
});

test('locked: the NHSmail "account locked" page with the unlock link', async (t) => {
  const { page } = await signInAs(system, await armedAccount('locked'));
  t.is(heading(page), 'Your NHSmail account is locked');
  t.is(
    page.$('[data-testid=unlock-link]').text().trim(),
    'Unlock Account or Forgotten Password? Click here.',
  );
});

test('disabled: the NHSmail "account disabled" page', async (t) => {
  const { page } = await signInAs(system, await armedAccount('disabled'));
  t.is(heading(page), 'Your NHSmail account has been disabled');
});

test('password_expired: the change-password page, then sign-in continues to the message centre', async (t) => {
  await armScenario(system, 'password_expired', 'jane.smith@nhs.net');
  covered.add('password_expired');
  const { session, page } = await signInAs(system, 'jane.smith@nhs.net');
  t.is(heading(page), 'Change your password');
  const end = await session.submit(page, 'form:has(input[name=newPassword])', {
    currentPassword: seededPassword,
    newPassword: 'Renewed-Passw0rd',
    confirmPassword: 'Renewed-Passw0rd',
  });
  t.is(end.url, `${system.appUrl}/messages`);
  t.is(end.$('[data-testid=user-name]').text().trim(), 'Jane Smith');
});

test('mfa_required: the one-time code page for an account without MFA, then the message centre', async (t) => {
  await armScenario(system, 'mfa_required', 'tom.jones@nhs.net');
  covered.add('mfa_required');
  const { session, page } = await signInAs(system, 'tom.jones@nhs.net');
  t.is(heading(page), 'Enter your verification code');
  const { mfaCode } = await mockAccount(system, 'tom.jones@nhs.net');
  const end = await session.submit(page, 'form:has(input[name=code])', { code: mfaCode });
  t.is(end.url, `${system.appUrl}/messages`);
  t.is(end.$('[data-testid=user-name]').text().trim(), 'Tom Jones');
});

test('consent_declined: the broker\'s "Sign-in was cancelled" page with a retry link back to NHSmail', async (t) => {
  const { session, page } = await signInAs(system, await armedAccount('consent_declined'));
  t.is(page.status, 400);
  t.true(page.url.startsWith(system.brokerUrl), page.url);
  t.is(heading(page), 'Sign-in was cancelled');
  t.is((await brokerAudit(page)).outcome, 'upstream_cancelled');
  const retry = page.$('[data-testid=retry]').attr('href');
  t.truthy(retry);
  const again = await session.get(new URL(retry ?? '', page.url).href);
  t.true(again.url.startsWith(`${system.mockUrl}/`), again.url);
  t.regex(mainText(again), /Sign in with your NHSmail account/);
  await assertNoAppSession(t, session);
});

test('the Cancel button on the NHSmail page also ends on "Sign-in was cancelled"', async (t) => {
  const { session, page } = await openNhsmailSignIn(system);
  const end = await session.submit(page, 'form[action$="/cancel"]');
  t.is(heading(end), 'Sign-in was cancelled');
  await assertNoAppSession(t, session);
});

for (const [scenario, code] of [
  ['not_assigned', 'AADSTS50105'],
  ['conditional_access', 'AADSTS53003'],
] as const) {
  test(`${scenario}: the broker's Authentication Error page, audited with ${code}`, async (t) => {
    const { session, page } = await signInAs(system, await armedAccount(scenario));
    t.is(page.status, 403);
    t.is(heading(page), 'Authentication Error');
    const event = await brokerAudit(page);
    t.is(event.outcome, 'upstream_denied');
    t.is(event.detail, code);
    await assertNoAppSession(t, session);
  });
}

for (const scenario of ['server_error', 'slow']) {
  test(`${scenario}: the broker's "NHSmail sign-in is unavailable" page`, async (t) => {
    const { session, page } = await signInAs(system, await armedAccount(scenario));
    t.is(page.status, 503);
    t.is(heading(page), 'NHSmail sign-in is unavailable');
    t.truthy(page.$('[data-testid=retry]').attr('href'), 'a way to try again');
    t.is((await brokerAudit(page)).outcome, 'upstream_unavailable');
    await assertNoAppSession(t, session);
  });
}

for (const scenario of [
  'bad_signature',
  'wrong_issuer',
  'wrong_audience',
  'nonce_mismatch',
  'expired_id_token',
  'unknown_kid',
  'alg_none',
]) {
  test(`${scenario}: the broker refuses the id_token`, async (t) => {
    const { session, page } = await signInAs(system, await armedAccount(scenario));
    t.is(page.status, 403);
    t.true(page.url.startsWith(system.brokerUrl), page.url);
    t.is(heading(page), 'Authentication Error');
    t.is((await brokerAudit(page)).outcome, 'upstream_invalid_response');
    await assertNoAppSession(t, session);
  });
}

test('a scenario armed for one account does not fire for another', async (t) => {
  await createMockAccount(system, 'armed.target@nhs.net');
  await createMockAccount(system, 'bystander@nhs.net');
  await armScenario(system, 'disabled', 'Armed.Target@NHS.net');
  const bystander = await signInAs(system, 'bystander@nhs.net');
  t.is(heading(bystander.page), 'Authentication Error', 'NHSmail let the bystander through');
  t.is((await brokerAudit(bystander.page)).outcome, 'no_account');
  const target = await signInAs(system, 'armed.target@nhs.net');
  t.is(heading(target.page), 'Your NHSmail account has been disabled');
});

test('an armed scenario fires once, on the next sign-in with the right password', async (t) => {
  await createMockAccount(system, 'fires.once@nhs.net');
  await armScenario(system, 'locked', 'fires.once@nhs.net');
  const { session, page } = await openNhsmailSignIn(system);
  const wrong = await submitCredentials(session, page, 'fires.once@nhs.net', 'Wrong-Passw0rd');
  t.regex(mainText(wrong), /Incorrect user ID or password/, 'a wrong password leaves it armed');
  const first = await submitCredentials(session, wrong, 'fires.once@nhs.net');
  t.is(heading(first), 'Your NHSmail account is locked');
  const armed = (await control(system, 'GET', '/scenarios')).body.armed;
  t.false(armed.some((entry: { target: string }) => entry.target === 'fires.once@nhs.net'));
  const second = await signInAs(system, 'fires.once@nhs.net');
  t.is(heading(second.page), 'Authentication Error', 'the second sign-in passes NHSmail');
});

// Serial tests run before the others, so nobody else signs in while a scenario is armed for anyone.
test.serial('a scenario armed for anyone fires on the next sign-in of any account, once', async (t) => {
  await armScenario(system, 'disabled');
  const first = await signInAs(system, 'no.cqrs@nhs.net');
  t.is(heading(first.page), 'Your NHSmail account has been disabled');
  const second = await signInAs(system, 'no.cqrs@nhs.net');
  t.is(heading(second.page), 'Authentication Error');
});

test.after('every scenario of the catalogue was exercised', (t) => {
  t.deepEqual(
    scenarioNames.filter((name) => !covered.has(name)),
    [],
  );
});
