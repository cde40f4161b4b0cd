// The account gate over real sign-ins: the first sign-in links the CQRS account to the NHSmail
// identity, later sign-ins go by the link, another identity presenting a linked email is refused, and
// suspended accounts are refused. Every decision is audited with the page's correlation id.
import test from 'ava';
import { personaByEmail } from '../../seeds/personas.ts';
import { AccountStore as NhsmailDirectory } from '../../mock-idp/directory/accounts.ts';
import { signInAs } from '../helpers/flows.ts';
import { startSystem, type TestSystem } from '../helpers/system.ts';

let system: TestSystem;
test.before(async () => {
  system = await startSystem();
});
test.after.always(async () => {
  await system?.close();
});

const correlationIdOf = (page: { $: (selector: string) => { text(): string } }) =>
  page.$('[data-testid=correlation-id]').text().trim();

test.serial('the first sign-in links the account to the NHSmail tenant and object id', async (t) => {
  const jane = personaByEmail('jane.smith@nhs.net');
  const before = await system.broker.accounts.findByEmail('jane.smith@nhs.net');
  t.is(before?.upstreamOid, null);
  const { page } = await signInAs(system, 'jane.smith@nhs.net');
  t.is(page.url, `${system.appUrl}/messages`);
  const after = await system.broker.accounts.findByEmail('jane.smith@nhs.net');
  t.is(after?.upstreamOid, jane?.oid);
  t.is(after?.upstreamTid, system.mockConfig.tenantId);
  const [event] = await system.broker.audit.recent({ limit: 1, email: 'jane.smith@nhs.net' });
  t.like(event, { outcome: 'success', accountId: jane?.cqrsAccountId, detail: 'linked on first sign-in' });
});

test.serial('after linking, the link decides even when the NHSmail address changes', async (t) => {
  const directory = new NhsmailDirectory(system.mockDb);
  const jane = personaByEmail('jane.smith@nhs.net');
  await directory.remove('jane.smith@nhs.net');
  await directory.put({
    email: 'jane.smith2@nhs.net',
    password: 'Passw0rd-2020',
    givenName: 'Jane',
    familyName: 'Smith',
    oid: jane?.oid,
  });
  const { page } = await signInAs(system, 'jane.smith2@nhs.net');
  t.is(page.url, `${system.appUrl}/messages`);
  t.is(page.$('[data-testid=user-name]').text().trim(), 'Jane Smith');
});

test.serial('another NHSmail identity presenting a linked email is refused and audited', async (t) => {
  const directory = new NhsmailDirectory(system.mockDb);
  // A new NHSmail account (new object id) takes Jane's old address.
  await directory.put({
    email: 'jane.smith@nhs.net',
    password: 'Passw0rd-2020',
    givenName: 'Jane',
    familyName: 'Smith',
  });
  const { session, page } = await signInAs(system, 'jane.smith@nhs.net');
  t.is(page.status, 403);
  t.is(page.$('h1').text().trim(), 'Authentication Error');
  const [event] = await system.broker.audit.recent({ limit: 1, correlationId: correlationIdOf(page) });
  t.is(event?.outcome, 'link_mismatch');
  t.is(event?.accountId, personaByEmail('jane.smith@nhs.net')?.cqrsAccountId);
  t.is((await session.get(`${system.appUrl}/messages`)).url, `${system.appUrl}/`);
});

test('a suspended CQRS account is refused', async (t) => {
  const { page } = await signInAs(system, 'suspended.user@nhs.net');
  t.is(page.status, 403);
  t.is(page.$('h1').text().trim(), 'Authentication Error');
  const [event] = await system.broker.audit.recent({ limit: 1, correlationId: correlationIdOf(page) });
  t.is(event?.outcome, 'account_suspended');
  t.is(
    (await system.broker.accounts.findByEmail('suspended.user@nhs.net'))?.upstreamOid,
    null,
    'a refused sign-in links nothing',
  );
});

test('audit events store a keyed hash of the email, never the address', async (t) => {
  await signInAs(system, 'no.cqrs@nhs.net');
  const rows = await system.brokerDb('audit_events').select();
  t.true(rows.length > 0);
  t.false(JSON.stringify(rows).includes('no.cqrs@nhs.net'));
  const [event] = await system.broker.audit.recent({ limit: 1, email: 'No.Cqrs@NHS.net' });
  t.is(event?.outcome, 'no_account');
});
