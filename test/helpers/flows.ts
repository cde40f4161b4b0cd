// The guide's steps as reusable moves for tests.
import { seededPassword } from '../../seeds/personas.ts';
import { HttpSession, type Page } from './httpSession.ts';
import type { TestSystem } from './system.ts';

/** Step 1 → 2: "Sign In" at the CQRS app, through the broker, to the NHSmail sign-in page. */
export async function openNhsmailSignIn(
  system: TestSystem,
  session = new HttpSession(),
): Promise<{ session: HttpSession; page: Page }> {
  const landing = await session.get(`${system.appUrl}/`);
  const signIn = landing.$('[data-testid=sign-in]').attr('href');
  if (!signIn)
    throw new Error(
      `no Sign In button on the CQRS landing page (${landing.status} from ${landing.url}):\n${landing.$('body').text().trim().slice(0, 300)}`,
    );
  const page = await session.get(new URL(signIn, landing.url).href);
  return { session, page };
}

/** Step 2: type a user ID and password and press "Sign in". */
export function submitCredentials(
  session: HttpSession,
  page: Page,
  userId: string,
  password = seededPassword,
  extra: Record<string, string> = {},
) {
  return session.submit(page, 'form:has(input[name=password])', { username: userId, password, ...extra });
}

/** Steps 1-3 for a persona; returns the page where the journey ends. */
export async function signInAs(
  system: TestSystem,
  userId: string,
  password = seededPassword,
  session = new HttpSession(),
) {
  const { page } = await openNhsmailSignIn(system, session);
  const end = await submitCredentials(session, page, userId, password);
  return { session, page: end };
}

/** Arms a failure scenario at the mock through its control API. */
export async function armScenario(system: TestSystem, scenario: string, account = '*'): Promise<void> {
  const response = await fetch(`${system.mockUrl}/_mock/next-sign-in`, {
    method: 'POST',
    headers: { authorization: `Bearer ${system.controlToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ scenario, account }),
  });
  if (response.status !== 201)
    throw new Error(`arming ${scenario} failed: ${response.status} ${await response.text()}`);
}
