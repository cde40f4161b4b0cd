// The CQRS app keeps a signed-in user going with the broker's refresh tokens: an expired access token is
// refreshed (and the rotated refresh token stored); a refused refresh ends the app session.
import test from 'ava';
import { revokeAccountTokens } from '../../broker/issuer/revocation.ts';
import { personaByEmail } from '../../seeds/personas.ts';
import { signInAs } from '../helpers/flows.ts';
import { mainText } from '../helpers/httpSession.ts';
import { startSystem, type TestSystem } from '../helpers/system.ts';
import { editAppTokens, readAppSession } from './appSession.ts';

let system: TestSystem;
test.before(async () => {
  system = await startSystem();
});
test.after.always(async () => {
  await system?.close();
});

test('an expired access token is refreshed: the message centre still shows, with rotated tokens', async (t) => {
  const { session, page } = await signInAs(system, 'jane.smith@nhs.net');
  t.is(page.url, `${system.appUrl}/messages`);
  const before = (await readAppSession(system, session))?.tokens;
  if (!before?.refreshToken) return t.fail('the app stored no refresh token');
  await editAppTokens(system, session, (tokens) => ({ ...tokens, expiresAt: Date.now() - 1000 }));

  const messages = await session.get(`${system.appUrl}/messages`);
  t.is(messages.url, `${system.appUrl}/messages`);
  t.is(messages.$('[data-testid=user-name]').text().trim(), 'Jane Smith');
  const after = (await readAppSession(system, session))?.tokens;
  t.truthy(after?.refreshToken);
  t.not(after?.refreshToken, before.refreshToken, 'the rotated refresh token replaced the old one');
  t.not(after?.accessToken, before.accessToken);
  t.true((after?.expiresAt ?? 0) > Date.now(), 'the new access token is not yet expired');

  // The stored token is the live one: expiring the access token again refreshes again.
  await editAppTokens(system, session, (tokens) => ({ ...tokens, expiresAt: Date.now() - 1000 }));
  const again = await session.get(`${system.appUrl}/messages`);
  t.is(again.url, `${system.appUrl}/messages`);
  t.not((await readAppSession(system, session))?.tokens?.refreshToken, after?.refreshToken);
});

test('when the broker refuses the refresh, the app session ends and says so', async (t) => {
  const { session } = await signInAs(system, 'tom.jones@nhs.net');
  await revokeAccountTokens(system.brokerDb, personaByEmail('tom.jones@nhs.net')?.cqrsAccountId ?? '');
  await editAppTokens(system, session, (tokens) => ({ ...tokens, expiresAt: Date.now() - 1000 }));
  const page = await session.get(`${system.appUrl}/messages`);
  t.is(page.url, `${system.appUrl}/?ended=1`);
  t.regex(mainText(page), /Your CQRS session has ended\. Sign in again to continue\./);
  t.is(page.$('[data-testid=sign-in]').text().trim(), 'Sign In');
  const afterwards = await session.get(`${system.appUrl}/messages`);
  t.is(afterwards.url, `${system.appUrl}/`, 'no session is left to show messages');
});

test('two requests that find the access token expired at once refresh once, and the user stays in', async (t) => {
  const { session } = await signInAs(system, 'jane.smith@nhs.net');
  await editAppTokens(system, session, (tokens) => ({ ...tokens, expiresAt: Date.now() - 1000 }));
  const pages = await Promise.all([1, 2, 3].map(() => session.get(`${system.appUrl}/messages`)));
  t.deepEqual(
    pages.map((page) => page.url),
    pages.map(() => `${system.appUrl}/messages`),
  );
  // Had two of them each redeemed the same refresh token, the broker would have revoked the grant.
  await editAppTokens(system, session, (tokens) => ({ ...tokens, expiresAt: Date.now() - 1000 }));
  const later = await session.get(`${system.appUrl}/messages`);
  t.is(later.url, `${system.appUrl}/messages`);
});
