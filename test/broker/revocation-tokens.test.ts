// Revoking by account or by client through the broker's real tokens: codes and tokens carry no owner
// columns and are reached through their grant, so what an app holds stops working at once while the
// account stays active and the client registered; nobody else's tokens are touched.
import test from 'ava';
import * as oidc from 'openid-client';
import { revokeAccountTokens, revokeClientTokens } from '../../broker/issuer/revocation.ts';
import { personaByEmail } from '../../seeds/personas.ts';
import {
  oauthErrorOf,
  registerClient,
  signIn,
  startRelyingPartyFixture,
  type TestClient,
} from '../helpers/relyingParty.ts';

const { system, host, client, close } = await startRelyingPartyFixture();
test.after.always(close);

function accountIdOf(email: string): string {
  const id = personaByEmail(email)?.cqrsAccountId;
  if (!id) throw new Error(`no CQRS account for ${email}`);
  return id;
}

async function expectEnded(
  t: import('ava').ExecutionContext,
  app: TestClient,
  tokens: { access_token: string; refresh_token?: string | undefined },
) {
  t.is(await oauthErrorOf(oidc.refreshTokenGrant(app.config, tokens.refresh_token ?? '')), 'invalid_grant');
  const userinfo = oidc.fetchUserInfo(app.config, tokens.access_token, oidc.skipSubjectCheck);
  t.is(await oauthErrorOf(userinfo), 'invalid_token');
}

test.serial(
  'revoking an account ends its refresh and access tokens; another account keeps its own',
  async (t) => {
    const tom = await signIn(client, 'tom.jones@nhs.net');
    const jane = await signIn(client, 'jane.smith@nhs.net');
    // A refresh first: the rotated refresh token and the new access token are reached too.
    const refreshed = await oidc.refreshTokenGrant(client.config, tom.tokens.refresh_token ?? '');
    t.true((await revokeAccountTokens(system.brokerDb, accountIdOf('tom.jones@nhs.net'))) > 0);
    await expectEnded(t, client, refreshed);
    const janeRefreshed = await oidc.refreshTokenGrant(client.config, jane.tokens.refresh_token ?? '');
    t.truthy(janeRefreshed.access_token);
    const janeUserinfo = await oidc.fetchUserInfo(
      client.config,
      janeRefreshed.access_token,
      oidc.skipSubjectCheck,
    );
    t.is(janeUserinfo.sub, accountIdOf('jane.smith@nhs.net'));
  },
);

test.serial(
  'revoking a client ends its refresh and access tokens; another client keeps its own',
  async (t) => {
    const other = await registerClient(system, host);
    const ended = await signIn(client, 'jane.smith@nhs.net');
    const kept = await signIn(other, 'jane.smith@nhs.net');
    t.true((await revokeClientTokens(system.brokerDb, client.clientId)) > 0);
    await expectEnded(t, client, ended.tokens);
    const refreshed = await oidc.refreshTokenGrant(other.config, kept.tokens.refresh_token ?? '');
    const userinfo = await oidc.fetchUserInfo(other.config, refreshed.access_token, oidc.skipSubjectCheck);
    t.is(userinfo.sub, accountIdOf('jane.smith@nhs.net'));
  },
);
