// The broker's NHSmail leg under change and failure: a rotated upstream signing key is picked up by
// fetching the JWKS again; an identity from another tenant is refused; an unreachable NHSmail gives
// the "unavailable" page with a retry link.
import test from 'ava';
import { rotateSigningKey } from '../../shared/oidc/keyStore.ts';
import { signInAs } from '../helpers/flows.ts';
import { HttpSession, mainText } from '../helpers/httpSession.ts';
import { startSystem } from '../helpers/system.ts';

test('after NHSmail rotates its signing key, the broker refetches the JWKS and sign-in works', async (t) => {
  const system = await startSystem();
  try {
    const first = await signInAs(system, 'jane.smith@nhs.net');
    t.is(first.page.url, `${system.appUrl}/messages`, 'the broker has fetched and cached the old key set');
    const rotated = await rotateSigningKey(system.mockDb, 0);
    await system.restartMock();
    const jwks = (await (
      await fetch(`${system.mockUrl}/${system.mockConfig.tenantId}/discovery/v2.0/keys`)
    ).json()) as {
      keys: Array<{ kid: string }>;
    };
    t.deepEqual(
      jwks.keys.map((key) => key.kid),
      [rotated.kid],
      'only the new key is published',
    );
    const second = await signInAs(system, 'tom.jones@nhs.net');
    t.is(second.page.url, `${system.appUrl}/messages`);
    t.is(second.page.$('[data-testid=user-name]').text().trim(), 'Tom Jones');
  } finally {
    await system.close();
  }
});

test('an identity from a tenant other than the allowed one is refused', async (t) => {
  const system = await startSystem({ env: { UPSTREAM_TENANT_ID: '11111111-2222-4333-8444-555555555555' } });
  try {
    const { session, page } = await signInAs(system, 'jane.smith@nhs.net');
    t.is(page.$('h1').text().trim(), 'Authentication Error');
    const correlationId = page.$('[data-testid=correlation-id]').text().trim();
    const [event] = await system.broker.audit.recent({ limit: 1, correlationId });
    t.like(event, { outcome: 'upstream_invalid_response', detail: 'tenant_not_allowed' });
    t.is((await session.get(`${system.appUrl}/messages`)).url, `${system.appUrl}/`);
  } finally {
    await system.close();
  }
});

test('NHSmail unreachable: the broker says it is unavailable and offers a retry', async (t) => {
  // Port 9 on loopback (discard) has no listener here: discovery fails at once.
  const system = await startSystem({ env: { UPSTREAM_ISSUER: 'http://127.0.0.1:9/tenant/v2.0' } });
  try {
    const session = new HttpSession();
    const page = await session.get(`${system.appUrl}/auth/login`);
    t.is(page.status, 503);
    t.true(page.url.startsWith(`${system.brokerUrl}/interaction/`), page.url);
    t.regex(mainText(page), /NHSmail sign-in is unavailable, try again later/);
    const retry = page.$('[data-testid=retry]').attr('href');
    t.is(retry, new URL(page.url).pathname);
    t.false(/Error:|at .*\.ts/.test(page.body), 'no stack trace reaches the user');
    const [event] = await system.broker.audit.recent({ limit: 1 });
    t.is(event?.outcome, 'upstream_unavailable');
  } finally {
    await system.close();
  }
});
