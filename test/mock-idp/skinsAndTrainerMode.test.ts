// The mock's presentation switches: the `entra` skin's wording (MOCK_SKIN) and trainer mode
// (MOCK_TRAINER_MODE), which shows trainers the personas on the sign-in page and the one-time code.
import test from 'ava';
import { personas, seededPassword } from '../../seeds/personas.ts';
import { openNhsmailSignIn, signInAs, submitCredentials } from '../helpers/flows.ts';
import { HttpSession, mainText, type Page } from '../helpers/httpSession.ts';
import { control, mockAccount } from '../helpers/mockControl.ts';
import { startSystem, type TestSystem } from '../helpers/system.ts';

let guide: TestSystem;
let entra: TestSystem;
let quiet: TestSystem;
test.before(async () => {
  [guide, entra, quiet] = await Promise.all([
    startSystem(),
    startSystem({ env: { MOCK_SKIN: 'entra' } }),
    startSystem({ env: { MOCK_TRAINER_MODE: 'false' } }),
  ]);
});
test.after.always(async () => {
  await Promise.all([guide?.close(), entra?.close(), quiet?.close()]);
});

const heading = (page: Page) => page.$('[data-testid=page-heading]').text().trim();

test('the entra skin uses Microsoft wording for a wrong password and a locked account', async (t) => {
  const { session, page } = await openNhsmailSignIn(entra);
  t.is(page.$('h1').first().text().trim(), 'Sign in');
  t.is(page.$('label[for=private]').text().trim(), 'Stay signed in');
  const wrong = await submitCredentials(session, page, 'jane.smith@nhs.net', 'Wrong-Passw0rd');
  t.is(
    wrong.$('[data-testid=login-error]').text().trim(),
    "Your account or password is incorrect. If you don't remember your password, reset it now.",
  );
  t.false(mainText(wrong).includes('Incorrect user ID or password'));
  const locked = await signInAs(entra, 'locked.user@nhs.net');
  t.is(heading(locked.page), 'Your account is locked');
  t.is(locked.page.$('[data-testid=test-marker]').text().trim(), 'Test environment — not NHSmail');
});

test('the entra skin still signs a CQRS user in', async (t) => {
  const { page } = await signInAs(entra, 'tom.jones@nhs.net');
  t.is(page.url, `${entra.appUrl}/messages`);
});

test('trainer mode: the sign-in page lists every persona, what each shows, and the password', async (t) => {
  const { page } = await openNhsmailSignIn(guide);
  const panel = page.$('[data-testid=trainer-panel]');
  t.is(panel.length, 1);
  t.true(panel.text().includes(seededPassword));
  const rows = panel
    .find('tbody tr')
    .toArray()
    .map((row) =>
      page
        .$(row)
        .find('td')
        .toArray()
        .map((cell) => page.$(cell).text().trim()),
    );
  t.deepEqual(
    rows.map(([email, outcome]) => [email, outcome]),
    personas.map((persona) => [persona.email, persona.outcome]),
  );
  const { mfaCode } = await mockAccount(guide, 'mfa.user@nhs.net');
  t.deepEqual(
    rows.find(([email]) => email === 'mfa.user@nhs.net'),
    ['mfa.user@nhs.net', personas.find((persona) => persona.mfaRequired)?.outcome, mfaCode],
  );
});

test('trainer mode: a change through the control API shows on the very next sign-in page', async (t) => {
  const codeShown = async () => {
    const { page } = await openNhsmailSignIn(entra);
    const row = page.$('[data-testid=trainer-panel] tbody tr:contains("mfa.user@nhs.net") td').last();
    return row.text().trim();
  };
  const { mfaCode } = await mockAccount(entra, 'mfa.user@nhs.net');
  t.is(await codeShown(), mfaCode);
  const changed = await control(entra, 'PATCH', '/accounts/mfa.user@nhs.net', {
    body: { mfaRequired: false },
  });
  t.is(changed.status, 200);
  t.is(await codeShown(), '', 'no code once MFA is off');
  await control(entra, 'PATCH', '/accounts/mfa.user@nhs.net', { body: { mfaRequired: true } });
  t.is(await codeShown(), mfaCode, 'and back');
});

test('trainer mode: the one-time code page shows the code, and it works', async (t) => {
  const { session, page } = await signInAs(guide, 'mfa.user@nhs.net');
  t.is(heading(page), 'Enter your verification code');
  const shown = page.$('[data-testid=trainer-code] strong').text().trim();
  t.is(shown, (await mockAccount(guide, 'mfa.user@nhs.net')).mfaCode);
  const end = await session.submit(page, 'form:has(input[name=code])', { code: shown });
  t.is(end.url, `${guide.appUrl}/messages`);
});

test('with MOCK_TRAINER_MODE=false neither the persona panel nor the code appears', async (t) => {
  const { session, page } = await openNhsmailSignIn(quiet);
  t.is(page.$('[data-testid=trainer-panel]').length, 0);
  t.false(mainText(page).includes(seededPassword));
  const mfa = await submitCredentials(session, page, 'mfa.user@nhs.net');
  t.is(heading(mfa), 'Enter your verification code');
  const { mfaCode } = await mockAccount(quiet, 'mfa.user@nhs.net');
  t.is(mfa.$('[data-testid=trainer-code]').length, 0);
  t.false(mfa.body.includes(mfaCode), 'the code is nowhere on the page');
  const end = await session.submit(mfa, 'form:has(input[name=code])', { code: mfaCode });
  t.is(end.url, `${quiet.appUrl}/messages`, 'the code from the control API still works');
});

test("the tester's landing page shows one-time codes only in trainer mode", async (t) => {
  const codeOf = async (system: TestSystem) =>
    (await mockAccount(system, 'mfa.user@nhs.net')).mfaCode as string;
  const shown = await new HttpSession().get(`${guide.mockUrl}/`);
  t.true(
    shown
      .$('[data-testid=personas]')
      .text()
      .includes(await codeOf(guide)),
  );
  const hidden = await new HttpSession().get(`${quiet.mockUrl}/`);
  t.true(hidden.$('[data-testid=personas]').text().includes('mfa.user@nhs.net'));
  t.false(hidden.body.includes(await codeOf(quiet)), 'the code is nowhere on the page');
  t.regex(mainText(hidden), /read an account's one-time code from the control API/);
});
