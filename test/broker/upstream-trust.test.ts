// What the broker believes of an upstream id_token, tested with a misbehaving upstream whose claims
// each test scripts: a token "issued" in the future or too long ago is refused.
import test from 'ava';
import type { JWTPayload } from 'jose';
import { HttpSession, type Page } from '../helpers/httpSession.ts';
import { startScriptedUpstream } from '../helpers/scriptedUpstream.ts';
import { startSystem } from '../helpers/system.ts';

const upstream = await startScriptedUpstream();
const system = await startSystem({
  env: { UPSTREAM_ISSUER: upstream.issuer, UPSTREAM_ID_TOKEN_MAX_AGE_SECONDS: '300' },
});
test.after.always(async () => {
  await system.close();
  await upstream.close();
});

const now = () => Math.floor(Date.now() / 1000);

async function signInWith(claims: (defaults: JWTPayload) => JWTPayload): Promise<Page> {
  upstream.script(claims);
  return new HttpSession().get(`${system.appUrl}/auth/login`);
}

async function refusalOf(page: Page) {
  const correlationId = page.$('[data-testid=correlation-id]').text().trim();
  const [event] = await system.broker.audit.recent({ limit: 1, correlationId });
  return { heading: page.$('h1').first().text().trim(), event };
}

test.serial('a well-formed id_token from the scripted upstream signs the user in', async (t) => {
  const page = await signInWith((defaults) => ({ ...defaults, email: 'jane.smith@nhs.net' }));
  t.is(page.url, `${system.appUrl}/messages`);
});

test.serial('an id_token issued a day in the future is refused and links nothing', async (t) => {
  const page = await signInWith((defaults) => {
    const { nbf: _nbf, ...rest } = defaults;
    return { ...rest, email: 'tom.jones@nhs.net', iat: now() + 86400, exp: now() + 86400 + 3600 };
  });
  const { heading, event } = await refusalOf(page);
  t.is(heading, 'Authentication Error');
  t.like(event, { outcome: 'upstream_invalid_response', detail: 'iat_in_future' });
  t.is((await system.broker.accounts.findByEmail('tom.jones@nhs.net'))?.upstreamOid, null);
});

test.serial('an id_token older than UPSTREAM_ID_TOKEN_MAX_AGE_SECONDS is refused', async (t) => {
  const page = await signInWith((defaults) => ({ ...defaults, iat: now() - 3600, nbf: now() - 3600 }));
  const { heading, event } = await refusalOf(page);
  t.is(heading, 'Authentication Error');
  t.like(event, { outcome: 'upstream_invalid_response', detail: 'id_token_too_old' });
});

test.serial('an iat a few seconds ahead, within the clock tolerance, is accepted', async (t) => {
  const page = await signInWith((defaults) => ({ ...defaults, iat: now() + 10 }));
  t.is(page.url, `${system.appUrl}/messages`);
});

// The first link trusts only `email`, and only from a tenant that verified its domain.
test.serial(
  'an id_token without email is refused as email_missing, whatever preferred_username says',
  async (t) => {
    const page = await signInWith((defaults) => {
      const { email: _email, ...rest } = defaults;
      return {
        ...rest,
        oid: '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b',
        preferred_username: 'tom.jones@nhs.net',
      };
    });
    const { heading, event } = await refusalOf(page);
    t.is(heading, 'Authentication Error');
    t.is(event?.outcome, 'email_missing');
    t.is((await system.broker.accounts.findByEmail('tom.jones@nhs.net'))?.upstreamOid, null);
  },
);

test.serial('xms_edov false refuses the first link as email_unverified', async (t) => {
  const page = await signInWith((defaults) => ({
    ...defaults,
    oid: '6f7a8b9c-0d1e-4f2a-9b3c-4d5e6f7a8b9c',
    email: 'tom.jones@nhs.net',
    xms_edov: false,
  }));
  const { heading, event } = await refusalOf(page);
  t.is(heading, 'Authentication Error');
  t.is(event?.outcome, 'email_unverified');
  t.is((await system.broker.accounts.findByEmail('tom.jones@nhs.net'))?.upstreamOid, null);
});

test.serial('once linked, the link decides: xms_edov false does not lock the user out', async (t) => {
  const page = await signInWith((defaults) => ({ ...defaults, xms_edov: false }));
  t.is(page.url, `${system.appUrl}/messages`, 'jane was linked by the first test');
});
