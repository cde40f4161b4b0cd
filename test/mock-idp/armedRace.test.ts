// A scenario armed once fires once however many sign-ins of its account race for it: taking it is a
// single DELETE … RETURNING (scenarios/armed.ts). Several browsers each open the NHSmail sign-in page,
// then all submit the right password at the same moment; on SQLite and on PostgreSQL.
import test, { type ExecutionContext } from 'ava';
import { armScenario, openNhsmailSignIn, submitCredentials } from '../helpers/flows.ts';
import type { Page } from '../helpers/httpSession.ts';
import { control } from '../helpers/mockControl.ts';
import { postgresRequired, postgresUrl } from '../helpers/postgres.ts';
import { startSystem } from '../helpers/system.ts';

const postgresCheck = await postgresRequired();
const racers = 8;
const email = 'tom.jones@nhs.net';
const disabledHeading = 'Your NHSmail account has been disabled';

const heading = (page: Page) => page.$('[data-testid=page-heading]').text().trim();

for (const backend of ['sqlite', 'postgres'] as const) {
  const available = backend === 'sqlite' || postgresCheck.run;
  const backendTest = (title: string, body: (t: ExecutionContext) => Promise<void>) =>
    (available ? test : test.skip)(`${backend}: ${title}`, body);

  backendTest(`of ${racers} simultaneous sign-ins, exactly one meets the scenario armed once`, async (t) => {
    const system = await startSystem(backend === 'postgres' ? { mockPostgresUrl: postgresUrl } : {});
    t.teardown(() => system.close());
    await armScenario(system, 'disabled', email);
    const forms = await Promise.all(Array.from({ length: racers }, () => openNhsmailSignIn(system)));
    const ends = await Promise.all(forms.map(({ session, page }) => submitCredentials(session, page, email)));

    const disabled = ends.filter((page) => heading(page) === disabledHeading);
    const signedIn = ends.filter((page) => page.url === `${system.appUrl}/messages`);
    t.is(disabled.length, 1, 'the scenario fired once');
    t.is(signedIn.length, racers - 1, 'every other sign-in reached the message centre');
    for (const page of signedIn) t.is(page.$('[data-testid=user-name]').text().trim(), 'Tom Jones');

    const armed = (await control(system, 'GET', '/scenarios')).body.armed;
    t.deepEqual(armed, [], 'nothing is left armed');
    const attempts = (await control(system, 'GET', `/attempts?email=${email}&limit=100`)).body.attempts;
    t.deepEqual(attempts.map((attempt: { outcome: string }) => attempt.outcome).sort(), [
      'disabled',
      ...Array.from({ length: racers - 1 }, () => 'success'),
    ]);
  });
}
