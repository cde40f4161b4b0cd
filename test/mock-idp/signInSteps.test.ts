// The steps after the password at the mock: the one-time code page and the change-password page of an
// expired password. What each answer shows, what counts toward lockout, what the attempts log says,
// and that a token-stage scenario taken at the password step still fires once the step is done.
import test, { type ExecutionContext } from 'ava';
import { seededPassword } from '../../seeds/personas.ts';
import { armScenario, signInAs } from '../helpers/flows.ts';
import { type HttpSession, mainText, type Page } from '../helpers/httpSession.ts';
import { control, createMockAccount, mockAccount } from '../helpers/mockControl.ts';
import { startSystem, type TestSystem } from '../helpers/system.ts';

// Three wrong answers lock an account, so a lock is quick to reach.
let system: TestSystem;
test.before(async () => {
  system = await startSystem({ env: { MOCK_LOCKOUT_THRESHOLD: '3' } });
});
test.after.always(async () => {
  await system?.close();
});

const heading = (page: Page) => page.$('[data-testid=page-heading]').text().trim();
const codeForm = 'form:has(input[name=code])';
const changeForm = 'form:has(input[name=newPassword])';
const changeError = (page: Page) => page.$('[data-testid=change-password-error]').text().trim();

async function latestAttempt(email: string) {
  const [attempt] = (await control(system, 'GET', `/attempts?email=${email}&limit=1`)).body.attempts;
  return attempt;
}

async function brokerOutcome(page: Page) {
  const correlationId = page.$('[data-testid=correlation-id]').text().trim();
  const [event] = await system.broker.audit.recent({ limit: 1, correlationId });
  if (!event) throw new Error(`no audit event for correlation id "${correlationId}"`);
  return event.outcome;
}

function changePassword(
  session: HttpSession,
  page: Page,
  newPassword: string,
  currentPassword = seededPassword,
) {
  return session.submit(page, changeForm, { currentPassword, newPassword, confirmPassword: newPassword });
}

test('a wrong one-time code shows the error and is logged; the right one, typed with spaces, signs in', async (t) => {
  const { session, page } = await signInAs(system, 'mfa.user@nhs.net');
  t.is(heading(page), 'Enter your verification code');
  const { mfaCode } = await mockAccount(system, 'mfa.user@nhs.net');
  const wrong = await session.submit(page, codeForm, { code: mfaCode === '000000' ? '111111' : '000000' });
  t.is(heading(wrong), 'Enter your verification code');
  t.regex(mainText(wrong), /The code you entered is not correct\. Enter the 6-digit code and try again\./);
  t.like(await latestAttempt('mfa.user@nhs.net'), { outcome: 'mfa_invalid_code', errorCode: 'AADSTS50076' });
  t.is((await mockAccount(system, 'mfa.user@nhs.net')).failedAttempts, 1);

  const end = await session.submit(wrong, codeForm, { code: ` ${mfaCode.slice(0, 3)} ${mfaCode.slice(3)} ` });
  t.is(end.url, `${system.appUrl}/messages`);
  t.is(end.$('[data-testid=user-name]').text().trim(), 'Max Fisher');
  t.like(await latestAttempt('mfa.user@nhs.net'), { outcome: 'success', errorCode: null });
  t.is((await mockAccount(system, 'mfa.user@nhs.net')).failedAttempts, 0, 'the right code resets the count');
});

test("a new password breaking each rule is refused with the page's message; then a good one signs in", async (t) => {
  const email = 'expired.password@nhs.net';
  const { session, page } = await signInAs(system, email);
  t.is(heading(page), 'Change your password');
  const rules =
    'Your new password must have at least 8 characters, with upper and lower case letters and a number.';
  let answer = page;
  for (const [broken, newPassword] of [
    ['too short', 'Short1a'],
    ['no upper case letter', 'lower-case-only1'],
    ['no lower case letter', 'UPPER-CASE-ONLY1'],
    ['no number', 'No-Number-Here'],
  ] as const) {
    answer = await changePassword(session, answer, newPassword);
    t.is(heading(answer), 'Change your password', broken);
    t.is(changeError(answer), rules, broken);
  }
  answer = await session.submit(answer, changeForm, {
    currentPassword: seededPassword,
    newPassword: 'Changed-Passw0rd',
    confirmPassword: 'Changed-Passw0rd-2',
  });
  t.is(changeError(answer), 'The new passwords do not match.');
  answer = await changePassword(session, answer, seededPassword);
  t.is(changeError(answer), 'Your new password must be different from your current password.');

  const account = await mockAccount(system, email);
  t.is(account.state, 'password_expired', 'nothing refused was stored');
  t.is(account.failedAttempts, 0, 'the current password was right each time: nothing counts toward lockout');

  const end = await changePassword(session, answer, 'Changed-Passw0rd');
  t.is(end.url, `${system.appUrl}/messages`);
  t.is(end.$('[data-testid=user-name]').text().trim(), 'Eve Morgan');
  t.is((await mockAccount(system, email)).state, 'active');
  t.like(await latestAttempt(email), { outcome: 'password_changed' });
});

test('wrong current passwords on the change-password page count: the third shows the locked page', async (t) => {
  const email = 'expired.locks@nhs.net';
  await createMockAccount(system, email, { state: 'password_expired' });
  const { session, page } = await signInAs(system, email);
  let answer = page;
  for (let attempt = 1; attempt <= 2; attempt += 1) {
    answer = await changePassword(session, answer, 'Changed-Passw0rd', 'Not-the-passw0rd');
    t.is(changeError(answer), 'Your current password is not correct.');
    // Logged as a wrong password on the sign-in form is.
    t.like(await latestAttempt(email), { outcome: 'invalid_credentials', errorCode: 'AADSTS50126' });
  }
  answer = await changePassword(session, answer, 'Changed-Passw0rd', 'Not-the-passw0rd');
  t.is(heading(answer), 'Your NHSmail account is locked');
  t.like(await latestAttempt(email), { outcome: 'invalid_credentials_locked', errorCode: 'AADSTS50126' });
  const account = await mockAccount(system, email);
  t.true(account.locked);
  t.is(account.state, 'password_expired', 'the password was not changed');
});

test('a one-time code typed after the account was locked elsewhere shows the locked page and is logged as locked', async (t) => {
  const email = 'mfa.locked.meanwhile@nhs.net';
  await createMockAccount(system, email, { mfaRequired: true });
  const { session, page } = await signInAs(system, email);
  t.is(heading(page), 'Enter your verification code');
  // Meanwhile, three wrong passwords in another browser lock the account.
  for (let attempt = 1; attempt <= 3; attempt += 1) await signInAs(system, email, 'Not-the-passw0rd');
  t.true((await mockAccount(system, email)).locked);

  const { mfaCode } = await mockAccount(system, email);
  const answer = await session.submit(page, codeForm, { code: mfaCode });
  t.is(heading(answer), 'Your NHSmail account is locked');
  t.like(await latestAttempt(email), { outcome: 'locked', errorCode: 'AADSTS50053' });
});

test('a new password for an account with a one-time code leads on to the code page', async (t) => {
  const email = 'expired.mfa@nhs.net';
  await createMockAccount(system, email, { state: 'password_expired', mfaRequired: true });
  const { session, page } = await signInAs(system, email);
  t.is(heading(page), 'Change your password');
  const code = await changePassword(session, page, 'Changed-Passw0rd');
  t.is(heading(code), 'Enter your verification code');
  t.is((await mockAccount(system, email)).state, 'active');
  const end = await session.submit(code, codeForm, { code: (await mockAccount(system, email)).mfaCode });
  // NHSmail let the user through; the broker has no CQRS account for them.
  t.is(heading(end), 'Authentication Error');
  t.is(await brokerOutcome(end), 'no_account');
});

async function assertFaultFired(t: ExecutionContext, page: Page) {
  t.is(heading(page), 'Authentication Error');
  t.is(await brokerOutcome(page), 'upstream_invalid_response', 'the id_token was refused');
}

test('a token-stage scenario taken at the password step fires after the one-time code', async (t) => {
  const email = 'fault.mfa@nhs.net';
  await createMockAccount(system, email, { mfaRequired: true });
  await armScenario(system, 'bad_signature', email);
  const { session, page } = await signInAs(system, email);
  t.is(heading(page), 'Enter your verification code');
  const end = await session.submit(page, codeForm, { code: (await mockAccount(system, email)).mfaCode });
  await assertFaultFired(t, end);
  const again = await signInAs(system, email);
  const next = await again.session.submit(again.page, codeForm, {
    code: (await mockAccount(system, email)).mfaCode,
  });
  t.is(await brokerOutcome(next), 'no_account', 'fired once');
});

test('a token-stage scenario taken at the password step fires after the new password', async (t) => {
  const email = 'fault.expired@nhs.net';
  await createMockAccount(system, email, { state: 'password_expired' });
  await armScenario(system, 'wrong_issuer', email);
  const { session, page } = await signInAs(system, email);
  t.is(heading(page), 'Change your password');
  await assertFaultFired(t, await changePassword(session, page, 'Changed-Passw0rd'));
  const again = await signInAs(system, email, 'Changed-Passw0rd');
  t.is(await brokerOutcome(again.page), 'no_account', 'fired once');
});
