// Suspension reaches every app at once (docs/administration.md, "suspend"): the CLI, a separate process,
// queues a logout token per app session in the same transaction as the suspension; the running broker
// delivers it, and the CQRS app's message centre is gone without waiting for a token refresh.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { signInAs } from '../helpers/flows.ts';
import { brokerCli, eventually } from '../helpers/eventually.ts';
import { startSystem, type TestSystem } from '../helpers/system.ts';
import { readAppSession } from '../cqrs-app/appSession.ts';
import { personaByEmail } from '../../seeds/personas.ts';

let system: TestSystem;
test.before(async () => {
  system = await startSystem();
});
test.after.always(async () => {
  await system?.close();
});

interface AuditLine {
  event: string;
  outcome: string;
  clientId: string | null;
  accountId: string | null;
  correlationId: string;
  detail: string | null;
}

async function auditEvents(): Promise<AuditLine[]> {
  const result = await brokerCli(system, 'audit', '--json', '--limit', '200');
  return JSON.parse(result.stdout) as AuditLine[];
}

test.serial('suspending with the CLI ends the user’s CQRS app session within seconds', async (t) => {
  const { session, page } = await signInAs(system, 'tom.jones@nhs.net');
  t.is(page.url, `${system.appUrl}/messages`);
  const sid = (await readAppSession(system, session))?.user?.sid;
  t.is(typeof sid, 'string');

  const suspended = await brokerCli(system, 'accounts', 'suspend', 'tom.jones@nhs.net');
  t.is(suspended.code, 0, suspended.stderr);

  t.true(
    await eventually(async () => (await readAppSession(system, session)) === undefined),
    'the app dropped the session',
  );
  const messages = await session.get(`${system.appUrl}/messages`);
  t.is(messages.url, `${system.appUrl}/`, 'the message centre is gone');

  // The help desk sees the delivery, under the suspension's correlation id, with the session's sid.
  const events = await auditEvents();
  const suspension = events.find((event) => event.event === 'account' && event.outcome === 'suspended');
  const delivered = events.find((event) => event.event === 'logout' && event.outcome === 'delivered');
  t.truthy(suspension);
  t.is(delivered?.clientId, 'cqrs-app');
  t.is(delivered?.accountId, personaByEmail('tom.jones@nhs.net')?.cqrsAccountId);
  t.is(delivered?.correlationId, suspension?.correlationId);
  t.regex(delivered?.detail ?? '', /^suspended; attempt 1 of \d+/);
  t.is(
    await system
      .brokerDb('logout_deliveries')
      .count({ count: '*' })
      .first()
      .then((row) => Number(row?.count)),
    0,
  );
  const listed = await brokerCli(system, 'audit', '--event', 'logout');
  t.regex(listed.stdout, /logout\s+delivered\s+cqrs-app\s+tom\.jones@nhs\.net/);
});

test.serial('a CSV import row that suspends the account ends its sessions the same way', async (t) => {
  const first = await signInAs(system, 'jane.smith@nhs.net');
  const second = await signInAs(system, 'jane.smith@nhs.net');
  const sids = await Promise.all(
    [first, second].map(async ({ session }) => (await readAppSession(system, session))?.user?.sid),
  );
  t.not(sids[0], sids[1], 'two browsers, two broker sessions');

  const exported = await brokerCli(system, 'accounts', 'export');
  const rows = exported.stdout
    .split('\n')
    .map((line) => (line.startsWith('jane.smith@nhs.net,') ? line.replace(',active,', ',suspended,') : line));
  t.true(rows.some((line) => line.startsWith('jane.smith@nhs.net,') && line.includes(',suspended,')));
  const file = path.join(path.dirname(system.brokerConfig.database.sqliteFile), 'suspend-jane.csv');
  await writeFile(file, rows.join('\n'));
  const imported = await brokerCli(system, 'accounts', 'import', file);
  t.is(imported.code, 0, imported.stderr);

  for (const { session } of [first, second])
    t.true(await eventually(async () => (await readAppSession(system, session)) === undefined));
  const deliveries = (await auditEvents()).filter(
    (event) =>
      event.event === 'logout' &&
      event.outcome === 'delivered' &&
      event.accountId === personaByEmail('jane.smith@nhs.net')?.cqrsAccountId,
  );
  t.is(deliveries.length, 2, 'one logout token per session');
});
