// Suspending a signed-in CQRS account: its refresh token and userinfo stop working and its broker session
// no longer signs it in silently, whether or not its tokens were revoked with it.
import test from 'ava';
import * as oidc from 'openid-client';
import { revokeAccountTokens } from '../../broker/issuer/revocation.ts';
import { personaByEmail } from '../../seeds/personas.ts';
import { HttpSession } from '../helpers/httpSession.ts';
import {
  authorizationRequest,
  browse,
  oauthErrorOf,
  redeem,
  signIn,
  startRelyingPartyFixture,
} from '../helpers/relyingParty.ts';

const { system, client, close } = await startRelyingPartyFixture();
test.after.always(close);

function accountIdOf(email: string): string {
  const id = personaByEmail(email)?.cqrsAccountId;
  if (!id) throw new Error(`no CQRS account for ${email}`);
  return id;
}

async function expectSignedOutEverywhere(t: import('ava').ExecutionContext, session: HttpSession) {
  const { url } = await authorizationRequest(client, { prompt: 'none' });
  const silent = await browse(session, url.href, client.redirectUri);
  t.is(silent.callback?.searchParams.get('error'), 'login_required', 'no silent sign-in');
  t.is(silent.callback?.searchParams.get('code'), null);
  // A full sign-in: NHSmail still knows the browser, and the broker's gate now refuses the account.
  const interactive = await authorizationRequest(client);
  const outcome = await browse(session, interactive.url.href, client.redirectUri);
  t.is(outcome.callback, undefined, 'the app gets no authorization response');
  t.is(outcome.page?.status, 403);
  t.is(outcome.page?.$('[data-testid=page-heading]').text().trim(), 'Authentication Error');
}

test.serial('suspending with token revocation ends refresh, userinfo and the session', async (t) => {
  const { session, tokens } = await signIn(client, 'tom.jones@nhs.net');
  const other = await signIn(client, 'jane.smith@nhs.net');
  t.truthy(tokens.refresh_token);
  await system.broker.accounts.setStatus(accountIdOf('tom.jones@nhs.net'), 'suspended');
  t.true((await revokeAccountTokens(system.brokerDb, accountIdOf('tom.jones@nhs.net'))) > 0);
  t.is(
    await oauthErrorOf(oidc.refreshTokenGrant(client.config, tokens.refresh_token ?? '')),
    'invalid_grant',
  );
  const userinfo = oidc.fetchUserInfo(client.config, tokens.access_token, oidc.skipSubjectCheck);
  t.is(await oauthErrorOf(userinfo), 'invalid_token');
  await expectSignedOutEverywhere(t, session);
  // Nobody else is affected.
  const janeUserinfo = await oidc.fetchUserInfo(
    client.config,
    other.tokens.access_token,
    oidc.skipSubjectCheck,
  );
  t.is(janeUserinfo.sub, accountIdOf('jane.smith@nhs.net'));
});

test.serial(
  'suspending alone, before any revocation, already stops refresh, userinfo and silent sign-in',
  async (t) => {
    const { session, tokens } = await signIn(client, 'jane.smith@nhs.net');
    await system.broker.accounts.setStatus(accountIdOf('jane.smith@nhs.net'), 'suspended');
    t.is(
      await oauthErrorOf(oidc.refreshTokenGrant(client.config, tokens.refresh_token ?? '')),
      'invalid_grant',
    );
    const userinfo = oidc.fetchUserInfo(client.config, tokens.access_token, oidc.skipSubjectCheck);
    t.is(await oauthErrorOf(userinfo), 'invalid_token');
    await expectSignedOutEverywhere(t, session);
  },
);

test.serial('an account suspended between the sign-in gate and the resume gets no tokens', async (t) => {
  const tom = accountIdOf('tom.jones@nhs.net');
  await system.broker.accounts.setStatus(tom, 'active');
  const session = new HttpSession();
  const pending = await authorizationRequest(client);
  // Through NHSmail and the gate, stopping before the browser loads the resume (/auth/<uid>), which
  // uses the account the gate read rather than reading it again.
  const gated = await browse(session, pending.url.href, `${system.brokerUrl}/auth/`, 'tom.jones@nhs.net');
  t.truthy(gated.callback, 'the gate let the account through');
  await system.broker.accounts.setStatus(tom, 'suspended');
  const resumed = await browse(session, gated.callback?.href ?? '', client.redirectUri);
  t.truthy(resumed.callback?.searchParams.get('code'), 'the resume still issues a code');
  // The token endpoint reads the account before any token is issued.
  t.is(
    await oauthErrorOf(redeem(client, resumed.callback ?? new URL('http://none'), pending)),
    'invalid_grant',
  );
});
