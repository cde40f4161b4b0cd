// The mock's share of a complete federated sign-in costs at most 10 SQL statements (it was 30, then
// 20, then 18, then 12): the account read once per request and carried from the sign-in form to the
// resume, no armed-scenario statement when nothing is armed for the account, the sign-in form in the
// authorization endpoint's answer (no page of its own that reads the interaction again), no session
// read when the code is redeemed, the code taken with its grant and account in one read and the
// interaction with the resume's read, each request's payload writes stored in one statement, the
// trainer panel and clients not re-read (the clients until the client registry changes).
// Interactions, codes and tokens stay in the database, so a restart loses no sign-in in flight
// (restart.test.ts). A count, not a timing.
import test from 'ava';
import { statementsExecuted } from '../../shared/database.ts';
import { armScenario, signInAs } from '../helpers/flows.ts';
import { startSystem, type TestSystem } from '../helpers/system.ts';

let system: TestSystem;
test.before(async () => {
  // The mock's once-a-second check of the client registry is a statement too: counted here it would
  // land in one sign-in and not another, so it is left for later than these tests last.
  system = await startSystem({ env: { MOCK_CLIENT_REFRESH_MS: '60000' } });
});
test.after.always(async () => {
  await system?.close();
});

/** The mock's SQL statements while `userId` signs in through the CQRS app and the broker. */
async function statementsFor(userId: string) {
  const before = statementsExecuted(system.mockDb);
  const { page } = await signInAs(system, userId);
  return { statements: statementsExecuted(system.mockDb) - before, page };
}

const perSignIn = 10;

test.serial(`a complete sign-in costs the mock at most ${perSignIn} SQL statements`, async (t) => {
  // The first sign-in reads what the mock then keeps (the broker's client registration).
  await signInAs(system, 'tom.jones@nhs.net');
  const { statements, page } = await statementsFor('jane.smith@nhs.net');
  t.is(page.url, `${system.appUrl}/messages`);
  t.log(`${statements} statements`);
  t.true(statements <= perSignIn, `${statements} statements`);
});

test.serial('a scenario armed for another account costs a sign-in nothing', async (t) => {
  const unarmed = await statementsFor('jane.smith@nhs.net');
  await armScenario(system, 'bad_signature', 'tom.jones@nhs.net');
  // Arming is a control API change: the next sign-in reads the clients and trainer panel again.
  await statementsFor('jane.smith@nhs.net');
  const bystander = await statementsFor('jane.smith@nhs.net');
  t.is(bystander.page.url, `${system.appUrl}/messages`);
  t.is(bystander.statements, unarmed.statements);
  // Left armed for the next test.
});

test.serial('an armed token-stage fault adds no statement to the token request', async (t) => {
  const plain = await statementsFor('jane.smith@nhs.net');
  const faulted = await statementsFor('tom.jones@nhs.net');
  t.is(faulted.page.$('h1').text().trim(), 'Authentication Error', 'the fault fired');
  // Taking the armed scenario is the one statement more; the token request itself costs no more.
  t.is(faulted.statements, plain.statements + 1);
});
