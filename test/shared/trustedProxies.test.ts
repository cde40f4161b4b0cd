// TRUST_PROXY names the proxies whose X-Forwarded-* headers a service believes: a request from any
// other peer cannot change the host or scheme the broker and the mock see (their discovery stays on the
// configured issuer); one from a named proxy can. `true` ("anyone") is refused by all three services.
import http from 'node:http';
import test from 'ava';
import { loadConfig as loadBrokerConfig } from '../../broker/config.ts';
import { loadConfig as loadAppConfig } from '../../cqrs-app/config.ts';
import { loadConfig as loadMockConfig } from '../../mock-idp/config.ts';
import { ConfigError } from '../../shared/config.ts';
import { startSystem } from '../helpers/system.ts';

const proxyAddress = '127.0.0.2';

test('TRUST_PROXY takes addresses and CIDR ranges, and refuses true in every service', (t) => {
  for (const load of [loadBrokerConfig, loadMockConfig, loadAppConfig]) {
    t.deepEqual(load({}).trustProxy, []);
    t.deepEqual(load({ TRUST_PROXY: 'false' }).trustProxy, []);
    t.deepEqual(load({ TRUST_PROXY: '127.0.0.2, 10.0.0.0/8,::1' }).trustProxy, [
      '127.0.0.2',
      '10.0.0.0/8',
      '::1',
    ]);
    const anyone = t.throws(() => load({ TRUST_PROXY: 'true' }), { instanceOf: ConfigError });
    t.regex(anyone.message, /TRUST_PROXY: must name the proxy's addresses/);
    const bad = t.throws(() => load({ TRUST_PROXY: '127.0.0.2,proxy.example,10.0.0.0/33' }));
    t.regex(bad.message, /TRUST_PROXY: not an IP address or CIDR range: proxy\.example, 10\.0\.0\.0\/33/);
  }
});

/** GET `url` from a chosen local address with extra headers; resolves with the JSON body. */
function getJson(url: string, headers: Record<string, string>, localAddress?: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers, localAddress }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch (error) {
          reject(error);
        }
      });
    });
    request.on('error', reject);
  });
}

test('forwarded headers change the issuer only when they come from a named proxy', async (t) => {
  const system = await startSystem({ env: { TRUST_PROXY: proxyAddress } });
  t.teardown(system.close);
  const forged = { 'x-forwarded-host': 'attacker.example', 'x-forwarded-proto': 'https' };
  const services = [
    { name: 'broker', discovery: `${system.brokerUrl}/.well-known/openid-configuration` },
    { name: 'mock', discovery: `${system.mockConfig.issuer}/.well-known/openid-configuration` },
  ];
  for (const { name, discovery } of services) {
    const direct = (await getJson(discovery, forged)) as { authorization_endpoint: string };
    const expected = new URL(discovery).origin;
    t.true(
      direct.authorization_endpoint.startsWith(`${expected}/`),
      `${name}: a direct caller's X-Forwarded-Host is ignored (${direct.authorization_endpoint})`,
    );
    const proxied = (await getJson(
      discovery,
      { 'x-forwarded-host': 'cqrs.example', 'x-forwarded-proto': 'https' },
      proxyAddress,
    )) as { authorization_endpoint: string };
    t.true(
      proxied.authorization_endpoint.startsWith('https://cqrs.example/'),
      `${name}: the named proxy's headers are honoured (${proxied.authorization_endpoint})`,
    );
  }
});
