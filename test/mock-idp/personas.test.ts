// Every seeded persona of docs/design.md §3 signing in through the real services, asserting what the user
// sees; unknown users look exactly like wrong passwords; user IDs match case-insensitively.
import test from 'ava';
import { seededPassword } from '../../seeds/personas.ts';
import { openNhsmailSignIn, signInAs, submitCredentials } from '../helpers/flows.ts';
import { type HttpSession, mainText, type Page } from '../helpers/httpSession.ts';
import { mockAccount } from '../helpers/mockControl.ts';
import { startSystem, type TestSystem } from '../helpers/system.ts';

let system: TestSystem;
test.before(async () => {
  system = await startSystem();
});
test.after.always(async () => {
  await system?.close();
});

const invalidCredentials =
  'Incorrect user ID or password. Type the correct user ID and password, and try again.';

const heading = (page: Page) => page.$('[data-testid=page-heading]').text().trim();

function assertMessageCentre(t: import('ava').ExecutionContext, page: Page, name: string) {
  t.is(page.status, 200);
  t.is(page.url, `${system.appUrl}/messages`);
  t.is(page.$('[data-testid=user-name]').text().trim(), name);
}

async function assertNoAppSession(t: import('ava').ExecutionContext, session: HttpSession) {
  const messages = await session.get(`${system.appUrl}/messages`);
  t.is(messages.url, `${system.appUrl}/`, 'the app has no signed-in user');
}

test('jane.smith and tom.jones reach their message centres', async (t) => {
  const jane = await signInAs(system, 'jane.smith@nhs.net');
  assertMessageCentre(t, jane.page, 'Jane Smith');
  const tom = await signInAs(system, 'tom.jones@nhs.net');
  assertMessageCentre(t, tom.page, 'Tom Jones');
  t.regex(tom.page.$('[data-testid=organisations]').text(), /NHS Lancashire and South Cumbria ICB \(QE1\)/);
});

for (const [email, outcome] of [
  ['no.cqrs@nhs.net', 'no_account'],
  ['suspended.user@nhs.net', 'account_suspended'],
] as const) {
  test(`${email} passes NHSmail and ends on the broker's Authentication Error page`, async (t) => {
    const { session, page } = await signInAs(system, email);
    t.is(page.status, 403);
    t.true(page.url.startsWith(system.brokerUrl), page.url);
    t.is(heading(page), 'Authentication Error');
    const correlationId = page.$('[data-testid=correlation-id]').text().trim();
    const [event] = await system.broker.audit.recent({ limit: 1, correlationId });
    t.is(event?.outcome, outcome);
    await assertNoAppSession(t, session);
  });
}

test('locked.user sees the NHSmail "account locked" page with the unlock link', async (t) => {
  const { session, page } = await signInAs(system, 'locked.user@nhs.net');
  t.is(page.status, 200);
  t.true(page.url.startsWith(system.mockUrl), page.url);
  t.is(heading(page), 'Your NHSmail account is locked');
  t.regex(mainText(page), /AADSTS50053/);
  const link = page.$('[data-testid=unlock-link]');
  t.is(link.text().trim(), 'Unlock Account or Forgotten Password? Click here.');
  const unlock = await session.get(new URL(link.attr('href') ?? '', page.url).href);
  t.is(unlock.status, 200);
  t.regex(mainText(unlock), /Unlock your account or reset your password/);
  await assertNoAppSession(t, session);
});

test('disabled.user sees the NHSmail "account disabled" page', async (t) => {
  const { session, page } = await signInAs(system, 'disabled.user@nhs.net');
  t.is(page.status, 200);
  t.is(heading(page), 'Your NHSmail account has been disabled');
  t.regex(mainText(page), /Contact your local NHSmail administrator/);
  t.regex(mainText(page), /AADSTS50057/);
  await assertNoAppSession(t, session);
});

test('expired.password changes the password on the NHSmail page, then reaches the message centre', async (t) => {
  const { session, page } = await signInAs(system, 'expired.password@nhs.net');
  t.is(heading(page), 'Change your password');
  t.regex(mainText(page), /Your password has expired/);

  const changeForm = 'form:has(input[name=newPassword])';
  const wrongCurrent = await session.submit(page, changeForm, {
    currentPassword: 'Not-the-password1',
    newPassword: 'Changed-Passw0rd',
    confirmPassword: 'Changed-Passw0rd',
  });
  t.is(
    wrongCurrent.$('[data-testid=change-password-error]').text().trim(),
    'Your current password is not correct.',
  );
  const weak = await session.submit(wrongCurrent, changeForm, {
    currentPassword: seededPassword,
    newPassword: 'short',
    confirmPassword: 'short',
  });
  t.regex(weak.$('[data-testid=change-password-error]').text(), /must have at least 8 characters/);
  const mismatch = await session.submit(weak, changeForm, {
    currentPassword: seededPassword,
    newPassword: 'Changed-Passw0rd',
    confirmPassword: 'Changed-Passw0rd2',
  });
  t.is(mismatch.$('[data-testid=change-password-error]').text().trim(), 'The new passwords do not match.');

  const end = await session.submit(mismatch, changeForm, {
    currentPassword: seededPassword,
    newPassword: 'Changed-Passw0rd',
    confirmPassword: 'Changed-Passw0rd',
  });
  assertMessageCentre(t, end, 'Eve Morgan');
  t.is((await mockAccount(system, 'expired.password@nhs.net')).state, 'active');

  // The new password is now the password: the old one is refused at the next sign-in.
  const old = await signInAs(system, 'expired.password@nhs.net');
  t.regex(mainText(old.page), /Incorrect user ID or password/);
  const fresh = await signInAs(system, 'expired.password@nhs.net', 'Changed-Passw0rd');
  assertMessageCentre(t, fresh.page, 'Eve Morgan');
});

test('mfa.user is asked for the one-time code; a wrong code is refused, the right one signs in', async (t) => {
  const { session, page } = await signInAs(system, 'mfa.user@nhs.net');
  t.is(heading(page), 'Enter your verification code');
  const { mfaCode } = await mockAccount(system, 'mfa.user@nhs.net');
  t.regex(mfaCode, /^\d{6}$/);

  const wrong = await session.submit(page, 'form:has(input[name=code])', {
    code: mfaCode === '000000' ? '111111' : '000000',
  });
  t.is(heading(wrong), 'Enter your verification code');
  t.regex(mainText(wrong), /The code you entered is not correct/);
  t.is(wrong.url.startsWith(system.mockUrl), true);

  const end = await session.submit(wrong, 'form:has(input[name=code])', { code: mfaCode });
  assertMessageCentre(t, end, 'Max Fisher');
});

test('an unknown user ID and a wrong password get the same status and the same page', async (t) => {
  const { session, page } = await openNhsmailSignIn(system);
  // Both from the same sign-in, so that the form actions match; only the CSRF token and the echoed
  // user ID may differ.
  const unknown = await submitCredentials(session, page, 'nobody.here@nhs.net', 'Whatever-2020');
  const wrong = await submitCredentials(session, unknown, 'tom.jones@nhs.net', 'Whatever-2020');
  const normalise = (result: Page) =>
    result.body
      .replace(/(name="username"[^>]* value=")[^"]*"/, '$1<user id>"')
      .replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf" value=""');
  t.is(unknown.status, 200);
  t.is(wrong.status, unknown.status);
  t.is(normalise(wrong), normalise(unknown));
  t.is(unknown.$('[data-testid=login-error]').text().trim(), invalidCredentials);
  t.is(unknown.$('input[name=username]').attr('value'), 'nobody.here@nhs.net', 'the user ID is kept');
});

test('user IDs match case-insensitively and ignore surrounding spaces', async (t) => {
  const { page } = await signInAs(system, '  TOM.Jones@NHS.Net ');
  assertMessageCentre(t, page, 'Tom Jones');
  const attempts = (await (
    await fetch(`${system.mockUrl}/_mock/attempts?email=Tom.Jones@nhs.net&limit=50`, {
      headers: { authorization: `Bearer ${system.controlToken}` },
    })
  ).json()) as { attempts: Array<{ email: string; outcome: string }> };
  // Other tests in this file sign Tom in (or fail to) at the same time: look for this success among them.
  t.true(attempts.attempts.length > 0);
  t.true(attempts.attempts.every((attempt) => attempt.email === 'tom.jones@nhs.net'));
  t.true(attempts.attempts.some((attempt) => attempt.outcome === 'success'));
});

test('"This is a private computer" makes the NHSmail session cookie persistent; without it, a session cookie', async (t) => {
  const cookieAfterSignIn = async (extra: Record<string, string>) => {
    const { session, page } = await openNhsmailSignIn(system);
    const end = await submitCredentials(session, page, 'jane.smith@nhs.net', seededPassword, extra);
    assertMessageCentre(t, end, 'Jane Smith');
    const cookies = await session.jar.getCookies(system.mockUrl);
    const cookie = cookies.find((candidate) => candidate.key === 'nhsmail_session');
    if (!cookie) throw new Error('no nhsmail_session cookie');
    return cookie;
  };
  const remembered = await cookieAfterSignIn({ private: 'yes' });
  t.true(remembered.isPersistent(), 'Expires or Max-Age is set');
  const forgotten = await cookieAfterSignIn({});
  t.false(forgotten.isPersistent(), 'no Expires and no Max-Age: gone when the browser closes');
});
