// Key rotation across two running broker instances on one database, without a restart
// (docs/operations.md, "Rotating keys"): a new key is published by both before either signs with it,
// after its activation both sign with it and each one's id_tokens verify against the other's JWKS,
// and the retired key leaves both JWKS once the tokens it signed have expired.
import type http from 'node:http';
import test from 'ava';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import { type Broker, createBroker } from '../../broker/app.ts';
import { loadConfig } from '../../broker/config.ts';
import { createDatabase } from '../../shared/database.ts';
import { closeServer, listen, portOf } from '../../shared/http/serve.ts';
import { createLogger } from '../../shared/logger.ts';
import { rotateCookieKey, rotateSigningKey } from '../../shared/oidc/keyStore.ts';
import { HttpSession } from '../helpers/httpSession.ts';
import { authorize, registerClient, signIn, startRelyingPartyHost } from '../helpers/relyingParty.ts';
import { startSystem, type TestSystem } from '../helpers/system.ts';

const refreshSeconds = 0.25;
const activationSeconds = 4;
const keyEnvironment = {
  BROKER_KEY_REFRESH_SECONDS: String(refreshSeconds),
  BROKER_KEY_ACTIVATION_SECONDS: String(activationSeconds),
};

/** Waits for `check` to hold; the deadline only ends a test that would otherwise hang. */
async function eventually<T>(what: string, read: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`gave up waiting until ${what}; last saw ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The system's broker and a second instance on the same database, each on its own port. */
async function twoInstances(t: { teardown(fn: () => Promise<void>): void }) {
  const system = await startSystem({ env: keyEnvironment });
  const secondDb = createDatabase(system.brokerConfig.database);
  const second: Broker = await createBroker(system.brokerConfig, {
    db: secondDb,
    logger: createLogger('broker-2', 'silent'),
  });
  const secondServer: http.Server = await listen(second.handle, 0, '127.0.0.1');
  t.teardown(async () => {
    await second.stop();
    await closeServer(secondServer);
    await secondDb.destroy();
    await system.close();
  });
  return { system, second, urls: [system.brokerUrl, `http://127.0.0.1:${portOf(secondServer)}`] };
}

async function jwksOf(url: string): Promise<JSONWebKeySet> {
  return (await (await fetch(`${url}/jwks`)).json()) as JSONWebKeySet;
}

const kids = (set: JSONWebKeySet) => set.keys.map((key) => key.kid);

/** A refresh-token grant at one instance: the id_token it returns is signed by that instance. */
function tokenSource(system: TestSystem, clientId: string, secret: string, refreshToken: string) {
  let current = refreshToken;
  return async (instanceUrl: string): Promise<string> => {
    const response = await fetch(`${instanceUrl}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: current }),
    });
    const body = (await response.json()) as { id_token?: string; refresh_token?: string; error?: string };
    if (!body.id_token || !body.refresh_token)
      throw new Error(`refresh at ${instanceUrl} failed: ${body.error} (issuer ${system.brokerUrl})`);
    current = body.refresh_token;
    return body.id_token;
  };
}

test('a rotated signing key is published everywhere first, signs after activation, and its predecessor leaves after expiry', async (t) => {
  const { system, urls } = await twoInstances(t);
  const host = await startRelyingPartyHost();
  t.teardown(host.close);
  const client = await registerClient(system, host);
  const { tokens } = await signIn(client, 'jane.smith@nhs.net');
  const idTokenFrom = tokenSource(system, client.clientId, client.secret, tokens.refresh_token ?? '');

  const [firstKid] = kids(await jwksOf(urls[0] as string));
  for (const url of urls) t.deepEqual(kids(await jwksOf(url)), [firstKid]);

  const keepSeconds = 2;
  const rotated = await rotateSigningKey(system.brokerDb, keepSeconds, activationSeconds);
  const signedTokens: string[] = [];

  // Both publish the new key within their refresh interval, while still signing with the old one.
  for (const url of urls) {
    const published = await eventually(
      `${url} publishes ${rotated.kid}`,
      () => jwksOf(url),
      (set) => kids(set).includes(rotated.kid),
    );
    t.deepEqual(kids(published), [firstKid, rotated.kid], 'the signing key first, then the pending one');
  }
  for (const url of urls) signedTokens.push(await idTokenFrom(url));
  t.true(
    signedTokens.some((token) => decodeProtectedHeader(token).kid === firstKid),
    'before activation the instances still sign with the previous key',
  );

  // After activation each instance signs with the new key, verifiable with the other's JWKS.
  for (const [index, url] of urls.entries()) {
    const token = await eventually(
      `${url} signs with ${rotated.kid}`,
      () => idTokenFrom(url),
      (jwt) => decodeProtectedHeader(jwt).kid === rotated.kid,
    );
    signedTokens.push(token);
    const other = urls[1 - index] as string;
    const { payload } = await jwtVerify(token, createLocalJWKSet(await jwksOf(other)), {
      issuer: system.brokerUrl,
      audience: client.clientId,
    });
    t.is(payload.sub, tokens.claims()?.sub, `an id_token from ${url} verifies against ${other}'s JWKS`);
  }

  // Never signed with before its activation, by either instance (iat is in whole seconds).
  for (const token of signedTokens) {
    if (decodeProtectedHeader(token).kid !== rotated.kid) continue;
    t.true((decodeJwt(token).iat ?? 0) * 1000 >= rotated.activatesAt - 1000);
  }

  // The previous key leaves both JWKS once it has expired, still without a restart.
  for (const url of urls) {
    const after = await eventually(
      `${url} drops ${firstKid}`,
      () => jwksOf(url),
      (set) => !kids(set).includes(firstKid),
    );
    t.deepEqual(kids(after), [rotated.kid]);
    t.true(Date.now() >= rotated.activatesAt + keepSeconds * 1000, 'not before its expiry');
  }
});

test('a rotated cookie key is accepted everywhere first, signs after activation, and sessions carry on', async (t) => {
  const { system, second } = await twoInstances(t);
  const host = await startRelyingPartyHost();
  t.teardown(host.close);
  const client = await registerClient(system, host);
  const session = new HttpSession();
  await signIn(client, 'jane.smith@nhs.net', { session });
  const [oldSecret] = system.broker.cookieKeys.secrets;

  const rotated = await rotateCookieKey(system.brokerDb, 3600, activationSeconds);
  const instances = [system.broker, second];
  for (const instance of instances) {
    const accepted = await eventually(
      'the new cookie key is accepted',
      async () => [...instance.cookieKeys.secrets],
      (keys) => keys.includes(rotated.secret),
    );
    t.deepEqual(accepted, [oldSecret, rotated.secret], 'cookies are still signed with the old key');
  }
  for (const instance of instances) {
    const keys = await eventually(
      'the new cookie key signs',
      async () => [...instance.cookieKeys.secrets],
      (keys) => keys[0] === rotated.secret,
    );
    t.deepEqual(keys, [rotated.secret, oldSecret], 'the old key still verifies');
  }
  t.true(Date.now() >= rotated.activatesAt);

  // The broker session cookie signed with the old key still signs the user in without NHSmail.
  const again = await authorize(client, session, undefined, { prompt: 'none' });
  t.false(again.sawNhsmailLogin);
  t.truthy(again.callback.searchParams.get('code'));
});

test('the activation delay must outlast the refresh interval, and defaults to a day', (t) => {
  t.deepEqual(loadConfig({}).keys, { refreshSeconds: 60, activationSeconds: 24 * 3600 });
  const tooSoon = t.throws(() =>
    loadConfig({ BROKER_KEY_REFRESH_SECONDS: '30', BROKER_KEY_ACTIVATION_SECONDS: '30' }),
  );
  t.regex(tooSoon.message, /^BROKER_KEY_ACTIVATION_SECONDS: must be longer than BROKER_KEY_REFRESH_SECONDS/);
  t.regex(
    t.throws(() => loadConfig({ BROKER_KEY_REFRESH_SECONDS: '120' })).message,
    /BROKER_KEY_REFRESH_SECONDS: /,
    'instances re-read the keys at least once a minute',
  );
});
