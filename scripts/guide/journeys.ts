// The moves a user makes in the browser (press "Sign In", type a user ID and password, enter a code),
// and the tester's move before a failure: arming a scenario through the mock's control API.
import type { Page } from 'puppeteer-core';
import type { TestSystem } from '../../test/helpers/system.ts';

// The slowest journey crosses three services and the broker's upstream timeout; leave room for a
// loaded machine without letting a broken journey hang the run.
const arrivalTimeoutMs = 30_000;

/** Step 1 → 2: the CQRS landing page, "Sign In", the NHSmail sign-in page. */
export async function openNhsmailSignIn(page: Page, system: TestSystem): Promise<void> {
  await page.goto(`${system.appUrl}/`);
  await Promise.all([page.waitForNavigation(), page.click('[data-testid=sign-in]')]);
  await page.waitForSelector('#username', { timeout: arrivalTimeoutMs });
}

/** Fills a form's fields, presses its submit button and waits for the page that `arrival` marks. */
export async function submitForm(page: Page, fields: Record<string, string>, arrival: string): Promise<void> {
  for (const [selector, value] of Object.entries(fields)) await page.type(selector, value);
  await Promise.all([
    page.waitForNavigation({ timeout: arrivalTimeoutMs }),
    page.click('form:has(input[type=password], input#code) button[type=submit]'),
  ]);
  await page.waitForSelector(arrival, { timeout: arrivalTimeoutMs });
}

/** Steps 1-2 and the NHSmail password, ending where `arrival` shows the journey has arrived. */
export async function signIn(
  page: Page,
  system: TestSystem,
  userId: string,
  password: string,
  arrival: string,
): Promise<void> {
  await openNhsmailSignIn(page, system);
  await submitForm(page, { '#username': userId, '#password': password }, arrival);
}

/** Arms a failure scenario for an account's next sign-in, as a tester would with curl. */
export async function armScenario(system: TestSystem, scenario: string, account: string): Promise<void> {
  const response = await fetch(`${system.mockUrl}/_mock/next-sign-in`, {
    method: 'POST',
    headers: { authorization: `Bearer ${system.controlToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ scenario, account }),
  });
  if (response.status !== 201) {
    throw new Error(`arming ${scenario} for ${account} failed: HTTP ${response.status}`);
  }
}

/** Selectors that mark the arrival on each kind of page. */
export const arrivals = {
  brokerRefusal: '[data-testid=correlation-id]',
  messageCentre: '[data-testid=user-name]',
  nhsmailError: '.nhsuk-error-summary',
  nhsmailPage: '[data-testid=page-heading]',
  changePassword: '#newPassword',
  oneTimeCode: '#code',
} as const;
