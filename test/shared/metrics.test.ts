// Every service serves Prometheus metrics behind METRICS_TOKEN, and the counters an operator watches
// move with what users do (docs/operations.md): the broker's sign-ins, upstream latency, tokens by
// grant type, refresh-token reuse and HTTP durations by route; the mock's attempts, lockouts and
// scenarios; the app's sign-ins, refreshes and back-channel logouts; everyone's db_statements_total.
import test from 'ava';
import { editAppTokens, readAppSession } from '../cqrs-app/appSession.ts';
import { armScenario, openNhsmailSignIn, signInAs, submitCredentials } from '../helpers/flows.ts';
import { startSystem, type TestSystem } from '../helpers/system.ts';

const token = 'metrics-token-for-the-tests';
let system: TestSystem;
test.before(async () => {
  system = await startSystem({ env: { METRICS_TOKEN: token, MOCK_LOCKOUT_THRESHOLD: '2' } });
});
test.after.always(async () => {
  await system?.close();
});

async function scrape(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  if (response.status !== 200) throw new Error(`GET ${baseUrl}/metrics answered ${response.status}`);
  return response.text();
}

/** The value of one sample (`name{labels}`), 0 when the series does not exist yet. */
function sample(body: string, series: string): number {
  const line = body.split('\n').find((each) => each.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/** POSTs to the broker's token endpoint as the seeded cqrs-app client. */
function refreshAtBroker(refreshToken: string) {
  const credentials = Buffer.from(`cqrs-app:${system.brokerConfig.cqrsAppSecret}`).toString('base64');
  return fetch(`${system.brokerUrl}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${credentials}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  });
}

test.serial('every service refuses its metrics without the bearer token', async (t) => {
  for (const url of [system.brokerUrl, system.mockUrl, system.appUrl]) {
    const anonymous = await fetch(`${url}/metrics`);
    t.is(anonymous.status, 401, url);
    t.is(anonymous.headers.get('www-authenticate'), 'Bearer realm="metrics"');
    const wrong = await fetch(`${url}/metrics`, {
      headers: { authorization: 'Bearer wrong-token-of-any-length' },
    });
    t.is(wrong.status, 401, url);
  }
});

test.serial('a sign-in moves the counters of all three services', async (t) => {
  const before = await Promise.all([system.brokerUrl, system.mockUrl, system.appUrl].map(scrape));
  const { session, page } = await signInAs(system, 'jane.smith@nhs.net');
  t.is(page.url, `${system.appUrl}/messages`);
  const [broker, mock, app] = await Promise.all([
    scrape(system.brokerUrl),
    scrape(system.mockUrl),
    scrape(system.appUrl),
  ]);

  t.is(sample(broker, 'cqrs_broker_sign_ins_total{outcome="success"}'), 1);
  t.is(sample(broker, 'cqrs_broker_tokens_issued_total{grant_type="authorization_code"}'), 1);
  t.is(sample(broker, 'cqrs_broker_upstream_token_duration_seconds_count{outcome="ok"}'), 1);
  t.true(
    sample(
      broker,
      'cqrs_broker_http_request_duration_seconds_count{method="GET",route="/upstream/callback",status="303"}',
    ) >= 1,
    'durations are labelled by route template',
  );
  t.false(/route="\/interaction\/[A-Za-z0-9_-]{10,}/.test(broker), 'no raw interaction ids as labels');
  t.true(sample(broker, 'cqrs_broker_process_resident_memory_bytes') > 0);
  for (const [prefix, body] of [
    ['cqrs_broker_', broker],
    ['mock_idp_', mock],
    ['cqrs_app_', app],
  ] as const)
    t.regex(
      body,
      new RegExp(`^${prefix}nodejs_eventloop_lag_p99_seconds \\d`, 'm'),
      `${prefix} event-loop lag`,
    );
  t.is(sample(mock, 'mock_idp_sign_in_attempts_total{outcome="success"}'), 1);
  t.is(sample(app, 'cqrs_app_sign_ins_total{outcome="success"}'), 1);
  for (const [index, body] of [broker, mock, app].entries()) {
    t.regex(body, /^# TYPE db_statements_total counter$/m);
    const previous = before[index] ?? '';
    t.true(sample(body, 'db_statements_total') > sample(previous, 'db_statements_total'), `service ${index}`);
  }
  t.false(broker.includes('jane.smith') || mock.includes('jane.smith') || app.includes('jane.smith'));

  // An expired access token makes the app refresh: the app counts it, the broker issues by grant type.
  await editAppTokens(system, session, (tokens) => ({ ...tokens, expiresAt: Date.now() - 1000 }));
  t.is((await session.get(`${system.appUrl}/messages`)).url, `${system.appUrl}/messages`);
  t.is(sample(await scrape(system.appUrl), 'cqrs_app_token_refreshes_total{outcome="success"}'), 1);
  t.is(
    sample(await scrape(system.brokerUrl), 'cqrs_broker_tokens_issued_total{grant_type="refresh_token"}'),
    1,
  );

  // A rotated refresh token presented again is reuse: refused, and counted once.
  const current = (await readAppSession(system, session))?.tokens?.refreshToken;
  if (!current) return t.fail('the app holds no refresh token');
  t.is((await refreshAtBroker(current)).status, 200);
  t.is((await refreshAtBroker(current)).status, 400);
  t.is(sample(await scrape(system.brokerUrl), 'cqrs_broker_refresh_token_reuse_total'), 1);

  // Signing out at the broker reaches the app by back-channel logout.
  const confirmation = await session.get(`${system.brokerUrl}/session/end`);
  await session.submit(confirmation, '#op\\.logoutForm', { logout: 'yes' });
  t.is(sample(await scrape(system.appUrl), 'cqrs_app_backchannel_logouts_total{outcome="accepted"}'), 1);
});

test.serial('the mock counts refused attempts, lockouts and scenarios fired', async (t) => {
  const { session, page } = await openNhsmailSignIn(system);
  const first = await submitCredentials(session, page, 'tom.jones@nhs.net', 'not-the-password');
  await submitCredentials(session, first, 'tom.jones@nhs.net', 'still-not-the-password');
  await armScenario(system, 'consent_declined', 'jane.smith@nhs.net');
  await signInAs(system, 'jane.smith@nhs.net');
  const mock = await scrape(system.mockUrl);
  t.is(sample(mock, 'mock_idp_sign_in_attempts_total{outcome="invalid_credentials"}'), 1);
  t.is(sample(mock, 'mock_idp_sign_in_attempts_total{outcome="invalid_credentials_locked"}'), 1);
  t.is(sample(mock, 'mock_idp_lockouts_total'), 1);
  t.is(sample(mock, 'mock_idp_scenarios_fired_total{scenario="consent_declined"}'), 1);
  t.is(sample(await scrape(system.brokerUrl), 'cqrs_broker_sign_ins_total{outcome="upstream_cancelled"}'), 1);
});
