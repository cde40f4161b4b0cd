// The mock's expiry sweep (expiry.ts, run once a minute by main.ts) deletes sign-in attempts older than
// their retention in bulk, a day or the lockout period when that is longer, and leaves lockouts alone.
// Old attempts are written into the log with a past time: a test cannot wait a day.
import test from 'ava';
import { deleteExpiredRows } from '../../mock-idp/expiry.ts';
import { signInAs } from '../helpers/flows.ts';
import { control, mockAccount } from '../helpers/mockControl.ts';
import { startSystem, type TestSystem } from '../helpers/system.ts';

const hour = 60 * 60 * 1000;

// `long` locks after 3 wrong passwords for 50 hours, longer than a day; `standard` for 30 minutes.
let long: TestSystem;
let standard: TestSystem;
test.before(async () => {
  [long, standard] = await Promise.all([
    startSystem({ env: { MOCK_LOCKOUT_THRESHOLD: '3', MOCK_LOCKOUT_MINUTES: '3000' } }),
    startSystem({ env: { MOCK_LOCKOUT_THRESHOLD: '3' } }),
  ]);
});
test.after.always(async () => {
  await Promise.all([long?.close(), standard?.close()]);
});

/** Writes an attempt `ageMs` old for `email` straight into the mock's log. */
async function pastAttempt(system: TestSystem, email: string, ageMs: number): Promise<void> {
  await system.mockDb('sign_in_attempts').insert({ email, outcome: 'success', at: Date.now() - ageMs });
}

async function attempts(system: TestSystem, email: string): Promise<Array<{ outcome: string }>> {
  return (await control(system, 'GET', `/attempts?email=${email}&limit=100`)).body.attempts;
}

/** Locks jane.smith with three wrong passwords; the three attempts are in the log. */
async function lockJane(system: TestSystem): Promise<void> {
  for (let failure = 1; failure <= 3; failure += 1)
    await signInAs(system, 'jane.smith@nhs.net', 'Wrong-Passw0rd');
  if (!(await mockAccount(system, 'jane.smith@nhs.net')).locked) throw new Error('jane.smith is not locked');
}

async function assertJaneStillLocked(t: import('ava').ExecutionContext, system: TestSystem) {
  t.true((await mockAccount(system, 'jane.smith@nhs.net')).locked);
  const { page } = await signInAs(system, 'jane.smith@nhs.net');
  t.is(page.$('[data-testid=page-heading]').text().trim(), 'Your NHSmail account is locked');
  t.deepEqual(
    (await attempts(system, 'jane.smith@nhs.net')).map((attempt) => attempt.outcome),
    ['locked', 'invalid_credentials_locked', 'invalid_credentials', 'invalid_credentials'],
    'the attempts behind the lockout are still there',
  );
}

test('attempts older than a day go; newer ones and a current lockout stay', async (t) => {
  await lockJane(standard);
  await pastAttempt(standard, 'past.day@nhs.net', 25 * hour);
  await pastAttempt(standard, 'within.day@nhs.net', 23 * hour);
  t.true((await deleteExpiredRows(standard.mockDb, standard.mockConfig)) >= 1);
  t.deepEqual(await attempts(standard, 'past.day@nhs.net'), []);
  t.is((await attempts(standard, 'within.day@nhs.net')).length, 1);
  await assertJaneStillLocked(t, standard);
});

test('with a lockout period longer than a day, attempts are kept for the whole period', async (t) => {
  await lockJane(long);
  await pastAttempt(long, 'past.lockout@nhs.net', 51 * hour);
  await pastAttempt(long, 'within.lockout@nhs.net', 49 * hour);
  await deleteExpiredRows(long.mockDb, long.mockConfig);
  t.deepEqual(await attempts(long, 'past.lockout@nhs.net'), []);
  t.is((await attempts(long, 'within.lockout@nhs.net')).length, 1, 'within the 50-hour lockout period');
  await assertJaneStillLocked(t, long);
});
