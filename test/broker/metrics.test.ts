// Operators read sign-in outcomes from GET /metrics (Prometheus text), behind a bearer token; with no
// token configured there is no metrics endpoint at all.
import test from 'ava';
import { signInAs } from '../helpers/flows.ts';
import { startSystem } from '../helpers/system.ts';

const token = 'metrics-token-for-the-tests';

test('sign-in decisions are counted by outcome, for the bearer of the metrics token', async (t) => {
  const system = await startSystem({ env: { METRICS_TOKEN: token } });
  try {
    await signInAs(system, 'jane.smith@nhs.net');
    await signInAs(system, 'no.cqrs@nhs.net');
    await signInAs(system, 'no.cqrs@nhs.net');
    const response = await fetch(`${system.brokerUrl}/metrics`, {
      headers: { authorization: `Bearer ${token}` },
    });
    t.is(response.status, 200);
    t.regex(response.headers.get('content-type') ?? '', /^text\/plain/);
    const body = await response.text();
    t.regex(body, /^cqrs_broker_sign_ins_total\{outcome="success"\} 1$/m);
    t.regex(body, /^cqrs_broker_sign_ins_total\{outcome="no_account"\} 2$/m);
    t.regex(body, /^cqrs_broker_process_resident_memory_bytes \d+/m);
    t.false(body.includes('jane.smith'), 'no personal data in metrics');
    const anonymous = await fetch(`${system.brokerUrl}/metrics`);
    t.is(anonymous.status, 401);
    const wrong = await fetch(`${system.brokerUrl}/metrics`, {
      headers: { authorization: 'Bearer not-the-metrics-token-at-all' },
    });
    t.is(wrong.status, 401);
  } finally {
    await system.close();
  }
});

test('without METRICS_TOKEN there is no metrics endpoint', async (t) => {
  const system = await startSystem();
  try {
    const response = await fetch(`${system.brokerUrl}/metrics`, {
      headers: { authorization: `Bearer ${token}` },
    });
    t.is(response.status, 404);
  } finally {
    await system.close();
  }
});
