// A restart of the mock loses nothing a tester set up or a user started: a sign-in in flight finishes,
// an armed scenario still fires, a count of wrong passwords still counts. The mock keeps what is armed
// in memory as well (scenarios/armed.ts), so these also check that it reads it back when it starts and
// follows disarming and a reset.
import test from 'ava';
import { armScenario, openNhsmailSignIn, signInAs, submitCredentials } from '../helpers/flows.ts';
import type { Page } from '../helpers/httpSession.ts';
import { control, mockAccount } from '../helpers/mockControl.ts';
import { startSystem, type TestSystem } from '../helpers/system.ts';

// One system per test: each restarts or resets the mock, which the others must not see.
const systems: TestSystem[] = [];
async function system(env: Record<string, string> = {}): Promise<TestSystem> {
  const started = await startSystem({ env });
  systems.push(started);
  return started;
}
test.after.always(async () => {
  await Promise.all(systems.map((started) => started.close()));
});

const heading = (page: Page) => page.$('[data-testid=page-heading]').text().trim();
const disabledHeading = 'Your NHSmail account has been disabled';

test('a sign-in in flight and an armed scenario survive a restart of the mock', async (t) => {
  const mock = await system();
  await armScenario(mock, 'disabled', 'tom.jones@nhs.net');
  const inFlight = await openNhsmailSignIn(mock);
  await mock.restartMock();
  const finished = await submitCredentials(inFlight.session, inFlight.page, 'jane.smith@nhs.net');
  t.is(finished.url, `${mock.appUrl}/messages`, 'the sign-in begun before the restart ends in the app');
  t.is(heading((await signInAs(mock, 'tom.jones@nhs.net')).page), disabledHeading);
  t.is((await signInAs(mock, 'tom.jones@nhs.net')).page.url, `${mock.appUrl}/messages`, 'fired once');
});

test('wrong passwords before a restart count toward the lockout after it', async (t) => {
  const mock = await system({ MOCK_LOCKOUT_THRESHOLD: '3' });
  await signInAs(mock, 'jane.smith@nhs.net', 'Wrong-Passw0rd');
  await signInAs(mock, 'jane.smith@nhs.net', 'Wrong-Passw0rd');
  await mock.restartMock();
  await signInAs(mock, 'jane.smith@nhs.net', 'Wrong-Passw0rd');
  t.true((await mockAccount(mock, 'jane.smith@nhs.net')).locked, 'the third wrong password locks');
});

test('a scenario armed after a reset, or after disarming, fires; one armed twice fires twice', async (t) => {
  const mock = await system();
  await armScenario(mock, 'disabled', 'tom.jones@nhs.net');
  t.is((await control(mock, 'POST', '/reset')).status, 200);
  t.is((await signInAs(mock, 'tom.jones@nhs.net')).page.url, `${mock.appUrl}/messages`, 'reset disarms');
  await armScenario(mock, 'disabled', 'tom.jones@nhs.net');
  t.is(heading((await signInAs(mock, 'tom.jones@nhs.net')).page), disabledHeading);

  await armScenario(mock, 'disabled', 'tom.jones@nhs.net');
  t.deepEqual((await control(mock, 'DELETE', '/next-sign-in?account=tom.jones@nhs.net')).body, {
    disarmed: 1,
  });
  t.is((await signInAs(mock, 'tom.jones@nhs.net')).page.url, `${mock.appUrl}/messages`, 'disarmed');
  await armScenario(mock, 'disabled', 'tom.jones@nhs.net');
  await armScenario(mock, 'disabled', 'tom.jones@nhs.net');
  t.is(heading((await signInAs(mock, 'tom.jones@nhs.net')).page), disabledHeading);
  t.is(heading((await signInAs(mock, 'tom.jones@nhs.net')).page), disabledHeading);
  t.is((await signInAs(mock, 'tom.jones@nhs.net')).page.url, `${mock.appUrl}/messages`);
});

test('a token-stage scenario taken before the one-time code still fires when the mock restarts in between', async (t) => {
  const mock = await system();
  await armScenario(mock, 'bad_signature', 'mfa.user@nhs.net');
  const { session, page } = await signInAs(mock, 'mfa.user@nhs.net');
  t.is(heading(page), 'Enter your verification code');
  const { mfaCode } = await mockAccount(mock, 'mfa.user@nhs.net');
  await mock.restartMock();
  const end = await session.submit(page, 'form:has(input[name=code])', { code: mfaCode });
  t.is(heading(end), 'Authentication Error');
  const correlationId = end.$('[data-testid=correlation-id]').text().trim();
  const [event] = await mock.broker.audit.recent({ limit: 1, correlationId });
  t.is(event?.outcome, 'upstream_invalid_response', 'the broker refused the id_token');
});
