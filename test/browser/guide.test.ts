// The guide in a real browser: click "Sign In", type into the NHSmail page, land on the message
// centre (steps 1-3); and the broker's Authentication Error page for a user without a CQRS account
// (step 5).
import test from 'ava';
import type { Browser, Page } from 'puppeteer-core';
import { seededPassword } from '../../seeds/personas.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { startSystem, type TestSystem } from '../helpers/system.ts';

let system: TestSystem;
let browser: Browser;
test.before(async () => {
  [system, browser] = await Promise.all([startSystem(), launchBrowser()]);
});
test.after.always(async () => {
  await browser?.close();
  await system?.close();
});

async function signIn(page: Page, userId: string, password: string) {
  await page.goto(`${system.appUrl}/`);
  await Promise.all([page.waitForNavigation(), page.click('[data-testid=sign-in]')]);
  await page.waitForSelector('#username');
  await page.type('#username', userId);
  await page.type('#password', password);
  await Promise.all([page.waitForNavigation(), page.click('form button[type=submit]')]);
}

const text = (page: Page, selector: string) =>
  page.$eval(selector, (element) => element.textContent?.replace(/\s+/g, ' ').trim() ?? '');

test('steps 1-3: Sign In, NHSmail page, message centre', async (t) => {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.goto(`${system.appUrl}/`);
  t.is(await text(page, '[data-testid=sign-in]'), 'Sign In');
  t.is(await text(page, '.nhsuk-header__service-name'), 'Calculating Quality Reporting Service');
  await Promise.all([page.waitForNavigation(), page.click('[data-testid=sign-in]')]);
  t.true(page.url().startsWith(system.mockUrl), page.url());
  t.is(await text(page, 'h1'), 'Sign in with your NHSmail account');
  t.is(await text(page, '[data-testid=test-marker]'), 'Test environment — not NHSmail');
  await page.type('#username', 'jane.smith@nhs.net');
  await page.type('#password', seededPassword);
  await Promise.all([page.waitForNavigation(), page.click('form button[type=submit]')]);
  t.is(page.url(), `${system.appUrl}/messages`);
  t.is(await text(page, '[data-testid=user-name]'), 'Jane Smith');
  t.regex(await text(page, '[data-testid=organisations]'), /The Densham Surgery \(A81001\)/);
  t.regex(await text(page, '[data-testid=messages]'), /QOF 2026\/27 achievement declaration is open/);
  await context.close();
});

test('step 5: Authentication Error for an NHSmail user with no CQRS account', async (t) => {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await signIn(page, 'no.cqrs@nhs.net', seededPassword);
  t.true(page.url().startsWith(system.brokerUrl), page.url());
  t.is(await text(page, 'h1'), 'Authentication Error');
  t.is(
    await text(page, '[data-testid=error-text]'),
    'We seem to be having trouble authenticating your account. Please try again. If you continue to receive this error, please contact the CQRS Help Desk.',
  );
  t.regex(await text(page, '[data-testid=helpdesk]'), /support@cqrs\.co\.uk/);
  t.regex(await text(page, '[data-testid=correlation-id]'), /^[0-9a-f-]{36}$/);
  await page.goto(`${system.appUrl}/messages`);
  t.is(page.url(), `${system.appUrl}/`, 'the app has no session for this user');
  await context.close();
});

test('step 4: wrong password shows the guide error and keeps the user ID', async (t) => {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await signIn(page, 'jane.smith@nhs.net', 'Wrong-password-1');
  t.regex(
    await text(page, '.nhsuk-error-summary'),
    /Incorrect user ID or password\. Type the correct user ID and password, and try again\./,
  );
  t.is(
    await page.$eval('#username', (input) => (input as unknown as { value: string }).value),
    'jane.smith@nhs.net',
  );
  await context.close();
});
