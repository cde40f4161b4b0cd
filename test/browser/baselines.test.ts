// Screenshot baselines: every screen of the illustrated guide, captured again on a fresh system, must
// match its committed PNG in test/browser/baselines/ within a small pixel tolerance. A change leaves
// the fresh capture and a diff image in test-results/baselines/.
//
// After an intended change to a page: UPDATE_BASELINES=1 npx ava test/browser/baselines.test.ts
// (or npm run guide -- --update-baselines), then look at the new PNGs before committing them.
import { readFile } from 'node:fs/promises';
import test from 'ava';
import type { Browser } from 'puppeteer-core';
import { PNG } from 'pngjs';
import {
  type Comparison,
  compareWithBaseline,
  describe,
  maxMismatchedPixels,
  writeBaseline,
} from '../../scripts/guide/baselines.ts';
import { captureScreens, fixVolatileText, launchGuideBrowser } from '../../scripts/guide/capture.ts';
import { screens } from '../../scripts/guide/screens.ts';

const updating = process.env.UPDATE_BASELINES === '1';
// Both tests walk real sign-ins across three services; a busy machine needs more than the default.
const slowTest = 5 * 60_000;

let browser: Browser;
test.before(async () => {
  browser = await launchGuideBrowser();
});
test.after.always(async () => {
  await browser?.close();
});

test('every screen of the guide matches its committed baseline', async (t) => {
  t.timeout(slowTest);
  const comparisons: Comparison[] = [];
  await captureScreens({
    browser,
    skin: 'guide',
    async onScreen(page, screen) {
      await fixVolatileText(page);
      const png = Buffer.from(await page.screenshot({ fullPage: true }));
      if (updating) t.log(`updated ${await writeBaseline(screen.name, png)}`);
      else comparisons.push(await compareWithBaseline(screen.name, png));
    },
  });
  if (updating) {
    t.log('UPDATE_BASELINES=1: baselines rewritten, nothing compared');
    t.pass();
    return;
  }
  t.deepEqual(
    comparisons.map((comparison) => comparison.name),
    screens.map((screen) => screen.name),
  );
  for (const comparison of comparisons) t.is(comparison.status, 'same', describe(comparison));
});

test('one changed word on a page fails the comparison and leaves a diff image', async (t) => {
  t.timeout(slowTest);
  let comparison: Comparison | undefined;
  await captureScreens({
    browser,
    skin: 'guide',
    only: ['step-5-authentication-error'],
    async onScreen(page, screen) {
      await fixVolatileText(page);
      await page.$eval('[data-testid=error-text]', (element) => {
        element.textContent = (element.textContent ?? '').replace('trouble', 'difficulty');
      });
      const png = Buffer.from(await page.screenshot({ fullPage: true }));
      comparison = await compareWithBaseline(screen.name, png, `${screen.name}.changed-word`);
    },
  });
  if (comparison?.status !== 'changed') {
    t.fail(`expected a difference, got ${comparison ? describe(comparison) : 'no capture'}`);
    return;
  }
  t.true(comparison.mismatchedPixels > maxMismatchedPixels);
  t.regex(
    comparison.diffFile,
    /test-results\/baselines\/step-5-authentication-error\.changed-word\.diff\.png$/,
  );
  const diff = PNG.sync.read(await readFile(comparison.diffFile));
  const fresh = PNG.sync.read(await readFile(comparison.actualFile));
  t.deepEqual([diff.width, diff.height], [fresh.width, fresh.height]);
});
