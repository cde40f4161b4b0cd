// The authorization request parameters that decide whether the user is asked anything: prompt=none,
// prompt=login and max_age=0 (NHSmail asks for the password again), prompt=consent (no consent screen
// for first-party apps, and no loop back to NHSmail) and scopes beyond the client's registration.
import test from 'ava';
import * as oidc from 'openid-client';
import { personaByEmail } from '../../seeds/personas.ts';
import { HttpSession } from '../helpers/httpSession.ts';
import {
  authorizationRequest,
  authorize,
  browse,
  redeem,
  registerClient,
  signIn,
  startRelyingPartyFixture,
} from '../helpers/relyingParty.ts';

const { system, host, client, close } = await startRelyingPartyFixture();
test.after.always(close);

const tomId = personaByEmail('tom.jones@nhs.net')?.cqrsAccountId;

test('prompt=none without any session answers login_required with iss', async (t) => {
  const { url } = await authorizationRequest(client, { prompt: 'none' });
  const { callback } = await browse(new HttpSession(), url.href, client.redirectUri);
  t.is(callback?.searchParams.get('error'), 'login_required');
  t.is(callback?.searchParams.get('iss'), system.brokerUrl);
  t.is(callback?.searchParams.get('code'), null);
});

test('prompt=none with a session signs in silently', async (t) => {
  const { session } = await signIn(client, 'tom.jones@nhs.net');
  const { pending, callback, sawNhsmailLogin } = await authorize(client, session, undefined, {
    prompt: 'none',
  });
  t.false(sawNhsmailLogin);
  t.is((await redeem(client, callback, pending)).claims()?.sub, tomId);
});

/** Forgets the broker's cookies only, so the browser still has its NHSmail (mock) session. */
async function forgetBrokerCookies(session: HttpSession): Promise<void> {
  for (const cookie of await session.jar.getCookies(system.brokerUrl)) {
    if (cookie.key.startsWith('cqrs_broker_'))
      await session.jar.store.removeCookie(cookie.domain, cookie.path, cookie.key);
  }
}

for (const [label, parameters] of [
  ['prompt=login', { prompt: 'login' }],
  ['max_age=0', { max_age: '0' }],
] as const) {
  test(`${label} makes NHSmail ask for the password although NHSmail has a session`, async (t) => {
    const { session } = await signIn(client, 'tom.jones@nhs.net');
    await forgetBrokerCookies(session);
    const silent = await authorize(client, session, undefined);
    t.false(silent.sawNhsmailLogin, 'without it, the NHSmail session signs the user in silently');
    const forced = await authorize(client, session, 'tom.jones@nhs.net', parameters);
    t.true(forced.sawNhsmailLogin, 'the NHSmail sign-in form was shown');
    const tokens = await oidc.authorizationCodeGrant(client.config, forced.callback, {
      pkceCodeVerifier: forced.pending.codeVerifier,
      expectedState: forced.pending.state,
      expectedNonce: forced.pending.nonce,
      maxAge: 'max_age' in parameters ? 0 : undefined,
    });
    t.is(tokens.claims()?.sub, tomId);
  });
}

test('max_age makes the id_token carry auth_time', async (t) => {
  const { tokens } = await signIn(client, 'tom.jones@nhs.net', { parameters: { max_age: '3600' } });
  t.is(typeof tokens.claims()?.auth_time, 'number');
});

test('prompt=consent with offline_access signs in once and gives a refresh token', async (t) => {
  const session = new HttpSession();
  const first = await authorize(client, session, 'jane.smith@nhs.net', { prompt: 'consent' });
  t.true(first.sawNhsmailLogin);
  const tokens = await redeem(client, first.callback, first.pending);
  t.truthy(tokens.refresh_token);
  t.true(tokens.scope?.split(' ').includes('offline_access'));
  const again = await authorize(client, session, undefined, { prompt: 'consent' });
  t.false(again.sawNhsmailLogin, 'a signed-in user is not sent back to NHSmail for consent');
  t.truthy((await redeem(client, again.callback, again.pending)).refresh_token);
});

test('a scope the client is not registered for is refused with invalid_scope', async (t) => {
  const narrow = await registerClient(system, host, { scope: 'openid email' });
  const { url } = await authorizationRequest(narrow, { scope: 'openid email cqrs' });
  const { callback } = await browse(new HttpSession(), url.href, narrow.redirectUri);
  t.is(callback?.searchParams.get('error'), 'invalid_scope');
});
