// The claims the broker issues (docs/design.md §5): `sub` is the broker account id, never the email; the
// email and profile scopes give the NHSmail identity; scope `cqrs` adds organisations with roles.
import test from 'ava';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { personaByEmail } from '../../seeds/personas.ts';
import { signIn, startRelyingPartyFixture } from '../helpers/relyingParty.ts';

const { system, client, close } = await startRelyingPartyFixture();
test.after.always(close);

function persona(email: string) {
  const found = personaByEmail(email);
  if (!found) throw new Error(`no persona ${email}`);
  return found;
}

async function userinfoFor(email: string, scope?: string) {
  const { tokens } = await signIn(client, email, { parameters: scope ? { scope } : {} });
  const idToken = tokens.claims();
  if (!idToken) throw new Error('no id_token');
  return { idToken, userinfo: await oidc.fetchUserInfo(client.config, tokens.access_token, idToken.sub) };
}

test('sub is the broker account id in the id_token and userinfo, never the email', async (t) => {
  const jane = persona('jane.smith@nhs.net');
  const { idToken, userinfo } = await userinfoFor('Jane.Smith@NHS.net');
  t.is(idToken.sub, jane.cqrsAccountId);
  t.is(userinfo.sub, jane.cqrsAccountId);
  t.false(idToken.sub.includes('@'));
  t.not(idToken.sub, jane.oid, 'not the NHSmail object id either');
});

test('the email and profile scopes give email, email_verified, name, given_name and family_name', async (t) => {
  const { userinfo } = await userinfoFor('jane.smith@nhs.net');
  t.like(userinfo, {
    email: 'jane.smith@nhs.net',
    email_verified: true,
    name: 'Jane Smith',
    given_name: 'Jane',
    family_name: 'Smith',
  });
});

test('scope cqrs adds the organisations with ODS code, name, type and roles', async (t) => {
  const { userinfo } = await userinfoFor('tom.jones@nhs.net');
  t.deepEqual(userinfo.organisations, [
    { ods_code: 'P81002', name: 'Ash Tree Medical Practice', type: 'gp_practice', roles: ['commissioner'] },
    { ods_code: 'P81003', name: 'Beech House Surgery', type: 'gp_practice', roles: ['commissioner'] },
    {
      ods_code: 'QE1',
      name: 'NHS Lancashire and South Cumbria ICB',
      type: 'icb',
      roles: ['commissioner', 'user_administrator'],
    },
  ]);
  const jane = await userinfoFor('jane.smith@nhs.net');
  t.deepEqual(jane.userinfo.organisations, [
    { ods_code: 'A81001', name: 'The Densham Surgery', type: 'gp_practice', roles: ['practice_user'] },
  ]);
});

test('without scope cqrs there are no organisations, without email no email', async (t) => {
  const { userinfo } = await userinfoFor('tom.jones@nhs.net', 'openid profile');
  t.is(userinfo.sub, persona('tom.jones@nhs.net').cqrsAccountId);
  t.is(userinfo.name, 'Tom Jones');
  t.false('organisations' in userinfo);
  t.false('email' in userinfo);
  t.false('email_verified' in userinfo);
});

test('only openid gives sub alone', async (t) => {
  const { userinfo } = await userinfoFor('tom.jones@nhs.net', 'openid');
  t.deepEqual(Object.keys(userinfo), ['sub']);
});

test('the id_token is signed by a key in the broker JWKS and names the user and client', async (t) => {
  const { tokens } = await signIn(client, 'tom.jones@nhs.net');
  // openid-client trusts the token endpoint for the id_token; a resource server checks the signature.
  const jwks = createRemoteJWKSet(new URL(client.config.serverMetadata().jwks_uri ?? ''));
  const { payload: claims, protectedHeader } = await jwtVerify(tokens.id_token ?? '', jwks, {
    issuer: system.brokerUrl,
    audience: client.clientId,
    algorithms: ['RS256'],
  });
  t.is(protectedHeader.alg, 'RS256');
  t.is(claims.sub, persona('tom.jones@nhs.net').cqrsAccountId);
  t.is(claims.iss, system.brokerUrl);
  t.is(claims.aud, client.clientId);
});

test('the id_token carries the identity claims of the granted scopes, organisations only at userinfo', async (t) => {
  const { idToken } = await userinfoFor('tom.jones@nhs.net');
  t.like(idToken, {
    email: 'tom.jones@nhs.net',
    email_verified: true,
    name: 'Tom Jones',
    given_name: 'Tom',
    family_name: 'Jones',
  });
  t.false('organisations' in idToken);
  const profileOnly = await userinfoFor('tom.jones@nhs.net', 'openid profile');
  t.is(profileOnly.idToken.name, 'Tom Jones');
  t.false('email' in profileOnly.idToken, 'no email without scope email');
  const openidOnly = await userinfoFor('tom.jones@nhs.net', 'openid');
  t.false(JSON.stringify(openidOnly.idToken).includes('@'), 'no email in the id_token unless asked for');
  t.false('name' in openidOnly.idToken);
});
