// `npm run screenshots`: regenerates the user guide's screenshots (steps 1-5) into ./screenshots (or
// the folder given as the first argument) from a fresh, seeded system in headless Chromium.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'puppeteer-core';
import { seededPassword } from '../seeds/personas.ts';
import { launchBrowser } from '../test/helpers/browser.ts';
import { startSystem } from '../test/helpers/system.ts';

const folder = path.resolve(process.argv[2] ?? 'screenshots');
await mkdir(folder, { recursive: true });
// Trainer mode off: the guide's pages as users see them.
const system = await startSystem({
  env: { MOCK_TRAINER_MODE: 'false', BROKER_TRAINER_MODE: 'false', UPSTREAM_TIMEOUT_MS: '15000' },
});
const browser = await launchBrowser();

async function shoot(page: Page, name: string) {
  const file = path.join(folder, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(file);
}

async function toNhsmail(page: Page) {
  await page.goto(`${system.appUrl}/`);
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'networkidle0' }),
    page.click('[data-testid=sign-in]'),
  ]);
  await page.waitForSelector('#username');
}

async function submit(page: Page, userId: string, password: string, arrival: string) {
  await page.type('#username', userId);
  await page.type('#password', password);
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'networkidle0' }),
    page.click('form button[type=submit]'),
  ]);
  // The journey crosses three services; shoot only once the page the guide shows has arrived.
  await page.waitForSelector(arrival);
}

try {
  const steps: Array<[string, (page: Page) => Promise<void>]> = [
    ['step-1-sign-in-button', (page) => page.goto(`${system.appUrl}/`).then(() => undefined)],
    ['step-2-nhsmail-sign-in', toNhsmail],
    [
      'step-3-message-centre',
      (page) =>
        toNhsmail(page).then(() =>
          submit(page, 'jane.smith@nhs.net', seededPassword, '[data-testid=user-name]'),
        ),
    ],
    [
      'step-4-incorrect-user-id-or-password',
      (page) => toNhsmail(page).then(() => submit(page, 'nhs.net', 'wrong', '.nhsuk-error-summary')),
    ],
    [
      'step-5-authentication-error',
      (page) =>
        toNhsmail(page).then(() =>
          submit(page, 'no.cqrs@nhs.net', seededPassword, '[data-testid=correlation-id]'),
        ),
    ],
  ];
  for (const [name, go] of steps) {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    await page.setViewport({ width: 1024, height: 768 });
    await go(page);
    await shoot(page, name);
    await context.close();
  }
} finally {
  await browser.close();
  await system.close();
}
