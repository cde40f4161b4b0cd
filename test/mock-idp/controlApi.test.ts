// The tester control API (/_mock/) over real HTTP: the bearer token, clear 4xx answers for bad input,
// and every operation's round trip, checked where it matters by signing in afterwards.
import test from 'ava';
import { signInAs } from '../helpers/flows.ts';
import { mainText, type Page } from '../helpers/httpSession.ts';
import { control, createMockAccount } from '../helpers/mockControl.ts';
import { startSystem, type TestSystem } from '../helpers/system.ts';

let system: TestSystem;
test.before(async () => {
  system = await startSystem();
});
test.after.always(async () => {
  await system?.close();
});

const heading = (page: Page) => page.$('[data-testid=page-heading]').text().trim();
const validAccount = { password: 'Passw0rd-2020', givenName: 'Pat', familyName: 'Lee' };

test('every operation needs the bearer token', async (t) => {
  const wrongTokens: Array<string | null> = [null, 'wrong', `${system.controlToken.slice(0, -1)}x`];
  for (const token of wrongTokens) {
    for (const [method, path] of [
      ['GET', '/accounts'],
      ['POST', '/reset'],
      ['POST', '/next-sign-in'],
      ['GET', '/attempts'],
    ] as const) {
      const answer = await control(system, method, path, { token });
      t.is(answer.status, 401, `${method} ${path} with ${token === null ? 'no token' : 'a wrong token'}`);
      t.deepEqual(
        { error: answer.body.error, message: answer.body.message },
        { error: 'unauthorized', message: 'missing or wrong bearer token' },
      );
    }
  }
  const basic = await fetch(`${system.mockUrl}/_mock/accounts`, {
    headers: { authorization: `Basic ${Buffer.from(`x:${system.controlToken}`).toString('base64')}` },
  });
  t.is(basic.status, 401);
  t.is(basic.headers.get('www-authenticate'), 'Bearer realm="mock-idp control"');
});

test('bad input is a 400 that names what is wrong', async (t) => {
  const cases: Array<[string, string, unknown, RegExp]> = [
    ['POST', '/accounts', { ...validAccount, email: 'not-an-email' }, /^email: must be an email address$/],
    [
      'POST',
      '/accounts',
      { ...validAccount, email: 'weak@nhs.net', password: 'password' },
      /^password: must have/,
    ],
    [
      'POST',
      '/accounts',
      { ...validAccount, email: 'x@nhs.net', colour: 'blue' },
      /Unrecognized key: "colour"/,
    ],
    ['POST', '/accounts', { ...validAccount, email: 'x@nhs.net', state: 'frozen' }, /^state: /],
    ['POST', '/accounts', { email: 'x@nhs.net' }, /password: .*givenName: .*familyName: /],
    ['PATCH', '/accounts/jane.smith@nhs.net', { givenName: '  ' }, /^givenName: must not be empty$/],
    ['PATCH', '/accounts/jane.smith@nhs.net', { mfaRequired: 'yes' }, /^mfaRequired: /],
    ['POST', '/next-sign-in', { scenario: 'meteor_strike' }, /^scenario: must be one of: wrong_password, /],
    ['POST', '/next-sign-in', { scenario: 'locked', account: 'nobody' }, /^account: /],
    ['POST', '/next-sign-in', { scenario: 'locked', when: 'now' }, /Unrecognized key: "when"/],
  ];
  for (const [method, path, body, message] of cases) {
    const answer = await control(system, method, path, { body });
    t.is(answer.status, 400, `${method} ${path} ${JSON.stringify(body)}`);
    t.is(answer.body.error, 'bad_request');
    t.regex(answer.body.message, message);
  }
  const notJson = await control(system, 'POST', '/accounts', { rawBody: '{"email":' });
  t.is(notJson.status, 400);
  t.is(notJson.body.message, 'the request body is not valid JSON (or form data)');
  const badLimit = await control(system, 'GET', '/attempts?limit=0');
  t.is(badLimit.status, 400);
  t.regex(badLimit.body.message, /^limit: /);
});

test('an unknown account is a 404 for every account operation', async (t) => {
  for (const [method, path] of [
    ['GET', '/accounts/ghost@nhs.net'],
    ['PATCH', '/accounts/ghost@nhs.net'],
    ['DELETE', '/accounts/ghost@nhs.net'],
    ['POST', '/accounts/ghost@nhs.net/lock'],
    ['POST', '/accounts/ghost@nhs.net/unlock'],
  ] as const) {
    const answer = await control(system, method, path, method === 'PATCH' ? { body: {} } : {});
    t.is(answer.status, 404, `${method} ${path}`);
    t.deepEqual([answer.body.error, answer.body.message], ['not_found', 'no account ghost@nhs.net']);
  }
  const arm = await control(system, 'POST', '/next-sign-in', {
    body: { scenario: 'locked', account: 'Ghost@NHS.net' },
  });
  t.is(arm.status, 404);
  t.is(arm.body.message, 'no account ghost@nhs.net');
});

test('creating an account that exists (in any case) is a 409', async (t) => {
  const answer = await control(system, 'POST', '/accounts', {
    body: { ...validAccount, email: 'TOM.JONES@nhs.net' },
  });
  t.is(answer.status, 409);
  t.deepEqual(
    [answer.body.error, answer.body.message],
    ['conflict', 'account tom.jones@nhs.net already exists'],
  );
  t.regex(answer.body.correlation_id, /^[0-9a-f-]{36}$/, 'with the correlation id of the log line');
});

test('create, show, list, update and delete an account, each visible at sign-in', async (t) => {
  const created = await control(system, 'POST', '/accounts', {
    body: { ...validAccount, email: 'Pat.Lee@NHS.net', mfaRequired: true },
  });
  t.is(created.status, 201);
  t.like(created.body, { email: 'pat.lee@nhs.net', givenName: 'Pat', state: 'active', mfaRequired: true });
  t.regex(created.body.oid, /^[0-9a-f-]{36}$/);
  t.regex(created.body.mfaCode, /^\d{6}$/);
  t.false('password' in created.body || 'passwordHash' in created.body, 'no password comes back');
  t.deepEqual((await control(system, 'GET', '/accounts/PAT.LEE@nhs.net')).body, created.body);
  const list = (await control(system, 'GET', '/accounts')).body.accounts;
  t.true(list.some((account: { email: string }) => account.email === 'pat.lee@nhs.net'));
  t.is(heading((await signInAs(system, 'pat.lee@nhs.net')).page), 'Enter your verification code');

  const updated = await control(system, 'PATCH', '/accounts/pat.lee@nhs.net', {
    body: { givenName: 'Patricia', mfaRequired: false, password: 'Another-Passw0rd' },
  });
  t.is(updated.status, 200);
  t.like(updated.body, {
    givenName: 'Patricia',
    familyName: 'Lee',
    mfaRequired: false,
    oid: created.body.oid,
  });
  t.regex(mainText((await signInAs(system, 'pat.lee@nhs.net')).page), /Incorrect user ID or password/);
  const withNewPassword = await signInAs(system, 'pat.lee@nhs.net', 'Another-Passw0rd');
  t.is(
    heading(withNewPassword.page),
    'Authentication Error',
    'NHSmail accepted; the broker has no CQRS account',
  );

  const disabled = await control(system, 'PATCH', '/accounts/pat.lee@nhs.net', {
    body: { state: 'disabled' },
  });
  t.is(disabled.body.state, 'disabled');
  const disabledPage = await signInAs(system, 'pat.lee@nhs.net', 'Another-Passw0rd');
  t.is(heading(disabledPage.page), 'Your NHSmail account has been disabled');

  const deleted = await fetch(`${system.mockUrl}/_mock/accounts/pat.lee@nhs.net`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${system.controlToken}` },
  });
  t.is(deleted.status, 204);
  t.is((await control(system, 'GET', '/accounts/pat.lee@nhs.net')).status, 404);
  const gone = await signInAs(system, 'pat.lee@nhs.net', 'Another-Passw0rd');
  t.regex(mainText(gone.page), /Incorrect user ID or password/);
});

test('lock and unlock an account', async (t) => {
  await createMockAccount(system, 'lock.me@nhs.net');
  const locked = await control(system, 'POST', '/accounts/lock.me@nhs.net/lock');
  t.is(locked.status, 200);
  t.like(locked.body, { state: 'locked', locked: true });
  t.is(heading((await signInAs(system, 'lock.me@nhs.net')).page), 'Your NHSmail account is locked');
  const unlocked = await control(system, 'POST', '/accounts/lock.me@nhs.net/unlock');
  t.like(unlocked.body, { state: 'active', locked: false, lockedUntil: null, failedAttempts: 0 });
  t.is(heading((await signInAs(system, 'lock.me@nhs.net')).page), 'Authentication Error');
});

test('arm, list and disarm scenarios', async (t) => {
  await createMockAccount(system, 'armed.one@nhs.net');
  await createMockAccount(system, 'armed.two@nhs.net');
  const armed = await control(system, 'POST', '/next-sign-in', {
    body: { scenario: 'locked', account: 'Armed.One@nhs.net' },
  });
  t.is(armed.status, 201);
  t.like(armed.body, { target: 'armed.one@nhs.net', scenario: 'locked' });
  await control(system, 'POST', '/next-sign-in', {
    body: { scenario: 'disabled', account: 'armed.two@nhs.net' },
  });

  const listed = (await control(system, 'GET', '/scenarios')).body;
  t.is(listed.scenarios.length, 18);
  t.like(
    listed.scenarios.find((scenario: { name: string }) => scenario.name === 'not_assigned'),
    { aadsts: 'AADSTS50105', stage: 'authorization' },
  );
  const mine = (entries: Array<{ target: string; scenario: string }>) =>
    entries
      .filter((entry) => entry.target.startsWith('armed.'))
      .map((entry) => [entry.target, entry.scenario]);
  t.deepEqual(mine(listed.armed), [
    ['armed.one@nhs.net', 'locked'],
    ['armed.two@nhs.net', 'disabled'],
  ]);

  const disarmedOne = await control(system, 'DELETE', '/next-sign-in?account=ARMED.ONE@nhs.net');
  t.deepEqual(disarmedOne.body, { disarmed: 1 });
  t.deepEqual(mine((await control(system, 'GET', '/scenarios')).body.armed), [
    ['armed.two@nhs.net', 'disabled'],
  ]);
  t.is(
    heading((await signInAs(system, 'armed.one@nhs.net')).page),
    'Authentication Error',
    'no longer armed',
  );
});

test('attempts are listed newest first, filtered by user ID and limited', async (t) => {
  await createMockAccount(system, 'attempts@nhs.net');
  await signInAs(system, 'attempts@nhs.net', 'Wrong-Passw0rd');
  await signInAs(system, 'Attempts@nhs.net');
  const answer = await control(system, 'GET', '/attempts?email=ATTEMPTS@nhs.net&limit=5');
  t.is(answer.status, 200);
  t.like(answer.body.attempts, [
    { email: 'attempts@nhs.net', outcome: 'success', errorCode: null, clientId: 'cqrs-broker' },
    { email: 'attempts@nhs.net', outcome: 'invalid_credentials', errorCode: 'AADSTS50126' },
  ]);
  t.is(answer.body.attempts.length, 2);
  t.regex(answer.body.attempts[0].correlationId, /^[0-9a-f-]{36}$/);
  t.false(Number.isNaN(Date.parse(answer.body.attempts[0].at)));
  const one = await control(system, 'GET', '/attempts?limit=1');
  t.is(one.body.attempts.length, 1);
});

// Serial tests run before the concurrent ones, so the reset cannot undo another test's setup.
test.serial('reset restores the seed state', async (t) => {
  await createMockAccount(system, 'temporary@nhs.net');
  await control(system, 'POST', '/accounts/jane.smith@nhs.net/lock');
  await control(system, 'PATCH', '/accounts/tom.jones@nhs.net', { body: { state: 'disabled' } });
  await control(system, 'POST', '/next-sign-in', { body: { scenario: 'slow' } });
  await signInAs(system, 'nobody@nhs.net');

  const reset = await control(system, 'POST', '/reset');
  t.deepEqual(reset.body, { reset: true, accounts: 8 });
  const accounts = (await control(system, 'GET', '/accounts')).body.accounts;
  t.false(accounts.some((account: { email: string }) => account.email === 'temporary@nhs.net'));
  t.like(
    accounts.find((account: { email: string }) => account.email === 'jane.smith@nhs.net'),
    { state: 'active', locked: false },
  );
  t.is((await control(system, 'GET', '/scenarios')).body.armed.length, 0);
  t.deepEqual((await control(system, 'GET', '/attempts')).body.attempts, []);
  const { page } = await signInAs(system, 'tom.jones@nhs.net');
  t.is(page.url, `${system.appUrl}/messages`);
});
