// Screenshot baselines: every screen of the illustrated guide, captured again on a fresh system, must
// match its committed PNG in test/browser/baselines/ within a small pixel tolerance. A change leaves
// the fresh capture and a diff image in test-results/baselines/.
//
// After an intended change to a page: UPDATE_BASELINES=1 npx ava test/browser/baselines.test.ts
// (or npm run guide -- --update-baselines), then look at the new PNGs before committing them.
import { readFile } from 'node:fs/promises';
import test from 'ava';
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
const changedWordScreen = 'step-5-authentication-error';

const comparisons: Comparison[] = [];
let changedWord: Comparison | undefined;

// One walk through every screen serves both tests: it crosses three services per screen, so a busy
// machine needs more than the default timeout.
test.before(async (t) => {
  t.timeout(5 * 60_000);
  const browser = await launchGuideBrowser();
  try {
    await captureScreens({
      browser,
      skin: 'guide',
      async onScreen(page, screen) {
        await fixVolatileText(page);
        const png = Buffer.from(await page.screenshot({ fullPage: true }));
        if (updating) await writeBaseline(screen.name, png);
        else comparisons.push(await compareWithBaseline(screen.name, png));
        if (screen.name !== changedWordScreen) return;
        // The same page with one word changed, as a careless edit of a view would.
        await page.$eval('[data-testid=error-text]', (element) => {
          element.textContent = (element.textContent ?? '').replace('trouble', 'difficulty');
        });
        const changed = Buffer.from(await page.screenshot({ fullPage: true }));
        changedWord = await compareWithBaseline(screen.name, changed, `${screen.name}.changed-word`);
      },
    });
  } finally {
    await browser.close();
  }
});

test('every screen of the guide matches its committed baseline', (t) => {
  if (updating) {
    t.log(`UPDATE_BASELINES=1: ${screens.length} baselines rewritten, nothing compared`);
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
  if (changedWord?.status !== 'changed') {
    t.fail(`expected a difference, got ${changedWord ? describe(changedWord) : 'no capture'}`);
    return;
  }
  t.true(changedWord.mismatchedPixels > maxMismatchedPixels);
  t.regex(
    changedWord.diffFile,
    /test-results\/baselines\/step-5-authentication-error\.changed-word\.diff\.png$/,
  );
  const diff = PNG.sync.read(await readFile(changedWord.diffFile));
  const fresh = PNG.sync.read(await readFile(changedWord.actualFile));
  t.deepEqual([diff.width, diff.height], [fresh.width, fresh.height]);
});
