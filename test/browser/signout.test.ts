// Signing out at NHSmail in a real browser (docs/testing-with-the-mock.md, "Signing out"): the mock's
// home page says who is signed in; its sign-out page loads the broker's front-channel logout URL in an
// iframe and then continues by itself; the CQRS message centre is gone afterwards.
import test from 'ava';
import type { Browser, Page } from 'puppeteer-core';
import { seededPassword } from '../../seeds/personas.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { eventually } from '../helpers/eventually.ts';
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

const text = (page: Page, selector: string) =>
  page.$eval(selector, (element) => element.textContent?.replace(/\s+/g, ' ').trim() ?? '');

test('signing out at the mock NHSmail signs the browser out of the CQRS app', async (t) => {
  const context = await browser.createBrowserContext();
  t.teardown(() => context.close());
  const page = await context.newPage();
  await page.goto(`${system.appUrl}/`);
  await Promise.all([page.waitForNavigation(), page.click('[data-testid=sign-in]')]);
  await page.type('#username', 'jane.smith@nhs.net');
  await page.type('#password', seededPassword);
  await Promise.all([page.waitForNavigation(), page.click('form button[type=submit]')]);
  t.is(page.url(), `${system.appUrl}/messages`);

  await page.goto(`${system.mockUrl}/`);
  t.is(await text(page, '[data-testid=signed-in-as]'), 'jane.smith@nhs.net');
  await Promise.all([page.waitForNavigation(), page.click('[data-testid=sign-out]')]);
  t.is(await text(page, '[data-testid=page-heading]'), 'Sign out of NHSmail');
  const frontchannel = page.waitForResponse((response) =>
    response.url().startsWith(`${system.brokerUrl}/upstream/frontchannel-logout?`),
  );
  await page.click('[data-testid=confirm-logout]');
  t.is((await frontchannel).status(), 200, 'the broker’s front-channel logout URL loaded in the iframe');
  // Once the iframe has loaded, the page continues by itself to the mock's signed-out page.
  await page.waitForFunction("window.location.pathname.endsWith('/logout/success')");
  t.is(await text(page, '[data-testid=page-heading]'), 'You have signed out of NHSmail');

  t.true(
    await eventually(async () => {
      await page.goto(`${system.appUrl}/messages`);
      return page.url() === `${system.appUrl}/`;
    }),
    'the message centre is gone',
  );
  await page.goto(`${system.mockUrl}/`);
  t.regex(await text(page, '[data-testid=signed-in-status]'), /^Not signed in/);
});
