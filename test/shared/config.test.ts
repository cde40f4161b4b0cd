// Configuration is validated at start-up: a bad value names its variable, and production refuses the
// development defaults and plain-http issuers.
import test from 'ava';
import { loadConfig as loadBrokerConfig } from '../../broker/config.ts';
import { loadConfig as loadAppConfig } from '../../cqrs-app/config.ts';
import { loadConfig as loadMockConfig } from '../../mock-idp/config.ts';
import { ConfigError } from '../../shared/config.ts';

test('defaults give the documented development setup', (t) => {
  const broker = loadBrokerConfig({});
  t.is(broker.port, 3000);
  t.is(broker.issuer, 'http://localhost:3000');
  t.is(broker.upstream.issuer, 'http://localhost:3001/7d0c5e1a-3b9f-4c2e-8a61-5f2d9b4e0c37/v2.0');
  t.deepEqual(broker.helpDesk, {
    email: 'support@cqrs.co.uk',
    phone: '0800 4402777',
    hours: '8am-6pm Mon-Fri exc Bank Holidays',
  });
  t.true(Object.isFrozen(broker));
  t.is(loadMockConfig({}).issuer, 'http://localhost:3001/7d0c5e1a-3b9f-4c2e-8a61-5f2d9b4e0c37/v2.0');
  t.is(loadAppConfig({}).brokerIssuer, 'http://localhost:3000');
  t.is(broker.clientRefreshMs, 1000);
  t.is(loadMockConfig({}).clientRefreshMs, 1000);
  t.is(broker.signInLifetimeSeconds, 8 * 60 * 60);
});

test('a bad value is refused with the variable named', (t) => {
  const port = t.throws(() => loadBrokerConfig({ BROKER_PORT: 'eighty' }), { instanceOf: ConfigError });
  t.regex(port.message, /BROKER_PORT/);
  t.regex(
    t.throws(() => loadBrokerConfig({ UPSTREAM_TENANT_ID: 'not-a-guid' })).message,
    /UPSTREAM_TENANT_ID: must be a GUID/,
  );
  t.regex(
    t.throws(() => loadBrokerConfig({ DATABASE_URL: 'mysql://x' })).message,
    /DATABASE_URL: must be a postgres:\/\/ URL/,
  );
  t.regex(t.throws(() => loadMockConfig({ MOCK_SKIN: 'purple' })).message, /MOCK_SKIN/);
  t.regex(
    t.throws(() => loadMockConfig({ MOCK_CONTROL_TOKEN: 'short' })).message,
    /MOCK_CONTROL_TOKEN: must be at least 16/,
  );
  t.regex(t.throws(() => loadAppConfig({ BROKER_ISSUER: 'not a url' })).message, /BROKER_ISSUER/);
  for (const value of ['0', '10', '600000', 'soon'])
    t.regex(
      t.throws(() => loadBrokerConfig({ BROKER_CLIENT_REFRESH_MS: value })).message,
      /BROKER_CLIENT_REFRESH_MS/,
      value,
    );
  t.regex(t.throws(() => loadMockConfig({ MOCK_CLIENT_REFRESH_MS: '0' })).message, /MOCK_CLIENT_REFRESH_MS/);
  for (const value of ['0', '1.5', '86401', 'all day'])
    t.regex(
      t.throws(() => loadBrokerConfig({ BROKER_SIGN_IN_LIFETIME_SECONDS: value })).message,
      /BROKER_SIGN_IN_LIFETIME_SECONDS/,
      value,
    );
  t.is(loadBrokerConfig({ BROKER_SIGN_IN_LIFETIME_SECONDS: '3600' }).signInLifetimeSeconds, 3600);
});

test('the help desk details are configurable', (t) => {
  const broker = loadBrokerConfig({
    HELPDESK_EMAIL: 'help@example.nhs.uk',
    HELPDESK_PHONE: '0300 000 0000',
    HELPDESK_HOURS: '24/7',
  });
  t.deepEqual(broker.helpDesk, { email: 'help@example.nhs.uk', phone: '0300 000 0000', hours: '24/7' });
});

test('production refuses development secrets and http issuers', (t) => {
  const production = { NODE_ENV: 'production' };
  t.regex(
    t.throws(() => loadBrokerConfig(production)).message,
    /refuses development defaults; set UPSTREAM_CLIENT_SECRET, CQRS_APP_CLIENT_SECRET/,
  );
  const secrets = {
    ...production,
    UPSTREAM_CLIENT_SECRET: 'a-real-upstream-secret-value',
    CQRS_APP_CLIENT_SECRET: 'a-real-app-secret-value',
  };
  t.regex(t.throws(() => loadBrokerConfig(secrets)).message, /BROKER_ISSUER: must be https/);
  t.regex(
    t.throws(() => loadBrokerConfig({ ...secrets, BROKER_ISSUER: 'https://sso.cqrs.example' })).message,
    /UPSTREAM_ISSUER: must be https/,
  );
  const broker = loadBrokerConfig({
    ...secrets,
    BROKER_ISSUER: 'https://sso.cqrs.example',
    UPSTREAM_ISSUER: 'https://login.microsoftonline.com/11111111-2222-4333-8444-555555555555/v2.0',
    UPSTREAM_TENANT_ID: '11111111-2222-4333-8444-555555555555',
  });
  t.true(broker.secureCookies);
  t.false(broker.upstream.allowHttp);
  t.regex(
    t.throws(() => loadMockConfig(production)).message,
    /MOCK_CONTROL_TOKEN, MOCK_BROKER_CLIENT_SECRET/,
  );
  t.regex(t.throws(() => loadAppConfig(production)).message, /CQRS_APP_CLIENT_SECRET/);
});
