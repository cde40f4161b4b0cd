// The guide's pages pass an automated accessibility audit (axe-core, WCAG 2.2 A and AA rules) and the
// NHSmail sign-in works from the keyboard alone.
import { AxePuppeteer } from '@axe-core/puppeteer';
import test, { type ExecutionContext } from 'ava';
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

async function audit(t: ExecutionContext, page: Page, label: string) {
  const results = await new AxePuppeteer(page)
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'])
    .analyze();
  const problems = results.violations.map(
    (violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
  );
  t.deepEqual(problems, [], `${label} has accessibility violations`);
}

async function newPage(): Promise<Page> {
  const context = await browser.createBrowserContext();
  return context.newPage();
}

test.serial('the audit itself catches a field without a label', async (t) => {
  const page = await newPage();
  await page.setContent('<!DOCTYPE html><html lang="en"><title>x</title><main><input id="x"></main></html>');
  const results = await new AxePuppeteer(page).withTags(['wcag2a']).analyze();
  t.true(results.violations.some((violation) => violation.id === 'label'));
  await page.browserContext().close();
});

test.serial('steps 1, 2, 4 and 3 pass the audit', async (t) => {
  const page = await newPage();
  await page.goto(`${system.appUrl}/`);
  await audit(t, page, 'step 1, the CQRS landing page');
  await Promise.all([page.waitForNavigation(), page.click('[data-testid=sign-in]')]);
  await audit(t, page, 'step 2, the NHSmail sign-in page');
  await page.type('#username', 'jane.smith@nhs.net');
  await page.type('#password', 'not-the-password');
  await Promise.all([page.waitForNavigation(), page.click('form button[type=submit]')]);
  await page.waitForSelector('.nhsuk-error-summary');
  await audit(t, page, 'step 4, the sign-in error');
  await page.type('#password', seededPassword);
  await Promise.all([page.waitForNavigation(), page.click('form button[type=submit]')]);
  await page.waitForSelector('[data-testid=user-name]');
  await audit(t, page, 'step 3, the message centre');
  await page.browserContext().close();
});

test.serial('step 5 passes the audit', async (t) => {
  const page = await newPage();
  await page.goto(`${system.appUrl}/`);
  await Promise.all([page.waitForNavigation(), page.click('[data-testid=sign-in]')]);
  await page.type('#username', 'no.cqrs@nhs.net');
  await page.type('#password', seededPassword);
  await Promise.all([page.waitForNavigation(), page.click('form button[type=submit]')]);
  await page.waitForSelector('[data-testid=correlation-id]');
  await audit(t, page, 'step 5, the Authentication Error page');
  await page.browserContext().close();
});

test.serial('the NHSmail sign-in works with the keyboard alone', async (t) => {
  const page = await newPage();
  await page.goto(`${system.appUrl}/`);
  // Tab to "Sign In" and press Enter, as a keyboard user would.
  let focused = '';
  for (let presses = 0; presses < 15 && focused !== 'Sign In'; presses += 1) {
    await page.keyboard.press('Tab');
    focused = String(await page.evaluate("document.activeElement?.textContent?.trim() ?? ''"));
  }
  t.is(focused, 'Sign In');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  await page.focus('#username');
  await page.keyboard.type('jane.smith@nhs.net');
  await page.keyboard.press('Tab');
  await page.keyboard.type(seededPassword);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  await page.waitForSelector('[data-testid=user-name]');
  t.is(page.url(), `${system.appUrl}/messages`);
  await page.browserContext().close();
});
