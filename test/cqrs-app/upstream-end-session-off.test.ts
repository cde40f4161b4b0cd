// UPSTREAM_END_SESSION=false: signing out of CQRS ends the broker session and tells the apps, but leaves
// the NHSmail session alive (the browser never visits NHSmail's end_session); the broker still asks
// NHSmail for the password at the next sign-in in that browser.
import test from 'ava';
import { signInAs } from '../helpers/flows.ts';
import { startSystem, type TestSystem } from '../helpers/system.ts';

let system: TestSystem;
test.before(async () => {
  system = await startSystem({ env: { UPSTREAM_END_SESSION: 'false' } });
});
test.after.always(async () => {
  await system?.close();
});

test('with UPSTREAM_END_SESSION=false, signing out of CQRS keeps the NHSmail session', async (t) => {
  const { session, page } = await signInAs(system, 'jane.smith@nhs.net');
  const confirmation = await session.submit(page, 'form[action="/auth/logout"]');
  const landing = await session.submit(confirmation, '#op\\.logoutForm', { logout: 'yes' });
  t.true(landing.url.startsWith(`${system.appUrl}/`), landing.url);
  t.false(
    landing.trail.some((url) => url.startsWith(system.mockUrl)),
    'NHSmail’s end_session not visited',
  );
  const home = await session.get(`${system.mockUrl}/`);
  t.is(home.$('[data-testid=signed-in-as]').text().trim(), 'jane.smith@nhs.net');
  const next = await session.get(`${system.appUrl}/auth/login`);
  t.is(next.$('input[name=password]').length, 1, 'the password is asked for all the same');
});
