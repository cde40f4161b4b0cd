// Trainer mode on the broker's refusal pages: a "Why this happened (trainer mode)" box names the audited
// refusal reason in plain words when BROKER_TRAINER_MODE is on (the development default), never when
// it is off, and production refuses it.
import test from 'ava';
import { loadConfig } from '../../broker/config.ts';
import { explainRefusal } from '../../broker/views/refusalReasons.ts';
import { ConfigError } from '../../shared/config.ts';
import { armScenario, signInAs } from '../helpers/flows.ts';
import type { Page } from '../helpers/httpSession.ts';
import { startSystem, type TestSystem } from '../helpers/system.ts';

let trainer: TestSystem;
let plain: TestSystem;
test.before(async () => {
  [trainer, plain] = await Promise.all([
    startSystem(),
    startSystem({ env: { BROKER_TRAINER_MODE: 'false' } }),
  ]);
});
test.after.always(async () => {
  await trainer?.close();
  await plain?.close();
});

const box = (page: Page) => page.$('[data-testid=trainer-reason]');
const squash = (text: string) => text.replace(/\s+/g, ' ').trim();

async function auditedOutcome(system: TestSystem, page: Page): Promise<string | undefined> {
  const correlationId = page.$('[data-testid=correlation-id]').text().trim();
  const row = await system.brokerDb('audit_events').where({ correlation_id: correlationId }).first();
  return row?.outcome;
}

test('development default is on; off when asked; production forces it off and refuses it on', (t) => {
  t.true(loadConfig({}).trainerMode);
  t.false(loadConfig({ BROKER_TRAINER_MODE: 'false' }).trainerMode);
  const production = {
    NODE_ENV: 'production',
    UPSTREAM_CLIENT_SECRET: 'a-real-upstream-secret-value',
    CQRS_APP_CLIENT_SECRET: 'a-real-app-secret-value',
    BROKER_ISSUER: 'https://sso.cqrs.example',
    UPSTREAM_ISSUER: 'https://login.microsoftonline.com/11111111-2222-4333-8444-555555555555/v2.0',
    UPSTREAM_TENANT_ID: '11111111-2222-4333-8444-555555555555',
  };
  t.false(loadConfig(production).trainerMode);
  const refused = t.throws(() => loadConfig({ ...production, BROKER_TRAINER_MODE: 'true' }), {
    instanceOf: ConfigError,
  });
  t.regex(refused.message, /BROKER_TRAINER_MODE: must be off when NODE_ENV=production/);
});

test('no CQRS account: the box names the audited reason in plain words', async (t) => {
  const { page } = await signInAs(trainer, 'no.cqrs@nhs.net');
  t.is(page.status, 403);
  t.is(page.$('h1').text().trim(), 'Authentication Error');
  t.is(squash(box(page).find('h2').text()), 'Why this happened (trainer mode)');
  t.is(page.$('[data-testid=trainer-reason-code]').text(), 'no_account');
  t.regex(page.$('[data-testid=trainer-reason-summary]').text(), /CQRS has no account for that email/);
  t.is(await auditedOutcome(trainer, page), 'no_account');
  t.is(squash(page.$('[data-testid=trainer-reason-summary]').text()), explainRefusal('no_account').summary);
});

test('each kind of refusal page carries the box with its own reason', async (t) => {
  const cases: Array<[string, string, string, string]> = [
    ['suspended.user@nhs.net', '', 'Authentication Error', 'account_suspended'],
    ['jane.smith@nhs.net', 'not_assigned', 'Authentication Error', 'upstream_denied'],
    ['jane.smith@nhs.net', 'consent_declined', 'Sign-in was cancelled', 'upstream_cancelled'],
    ['jane.smith@nhs.net', 'server_error', 'NHSmail sign-in is unavailable', 'upstream_unavailable'],
  ];
  for (const [userId, scenario, heading, reason] of cases) {
    if (scenario) await armScenario(trainer, scenario, userId);
    const { page } = await signInAs(trainer, userId);
    t.is(page.$('h1').text().trim(), heading, reason);
    t.is(page.$('[data-testid=trainer-reason-code]').text(), reason);
    t.is(await auditedOutcome(trainer, page), reason);
    t.is(squash(page.$('[data-testid=trainer-reason-summary]').text()), explainRefusal(reason).summary);
  }
});

test('trainer mode off: the same refusal shows no box and no reason', async (t) => {
  const { page } = await signInAs(plain, 'no.cqrs@nhs.net');
  t.is(page.$('h1').text().trim(), 'Authentication Error');
  t.is(box(page).length, 0);
  t.false(page.body.includes('no_account'));
  t.false(page.body.includes('trainer mode'));
});

test('an unknown reason code still gets a sentence, never a prototype property', (t) => {
  t.is(explainRefusal('constructor').summary, 'The broker refused this sign-in.');
  t.is(explainRefusal('something_new').summary, 'The broker refused this sign-in.');
});
