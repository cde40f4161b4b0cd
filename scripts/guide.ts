// `npm run guide`: the trainers' illustrated user guide, regenerated from the live system. Starts fresh
// seeded services on free loopback ports, walks the sign-in steps 1-5 and every failure in headless
// Chromium, and writes guide/index.html (screenshots in guide/images/) and a PDF of it.
//
//   npm run guide -- [--out DIR] [--skin guide|entra] [--update-baselines]
//
// The help desk details come from HELPDESK_EMAIL, HELPDESK_PHONE and HELPDESK_HOURS, as for the broker.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';

const usage = 'usage: npm run guide -- [--out DIR] [--skin guide|entra] [--update-baselines]';

function fail(message: string): never {
  console.error(`error: ${message}\n${usage}`);
  process.exit(2);
}

let values: { out?: string; skin?: string; 'update-baselines'?: boolean; help?: boolean };
try {
  ({ values } = parseArgs({
    options: {
      out: { type: 'string' },
      skin: { type: 'string' },
      'update-baselines': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (error) {
  fail((error as Error).message);
}
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const skin = values.skin ?? 'guide';
if (skin !== 'guide' && skin !== 'entra') fail(`--skin must be guide or entra, not ${skin}`);
const updateBaselines = values['update-baselines'] === true;
if (updateBaselines && skin !== 'guide') fail('--update-baselines takes the guide skin only');

// Loaded only once the options are good: they bring in all three services and Chromium's driver.
const { baselineFolder, writeBaseline } = await import('./guide/baselines.ts');
const { captureScreens, fixVolatileText, launchGuideBrowser } = await import('./guide/capture.ts');
const { htmlName, imagesFolder, pdfName, writeGuide } = await import('./guide/render.ts');

const helpDeskEnvironment = Object.fromEntries(
  ['HELPDESK_EMAIL', 'HELPDESK_PHONE', 'HELPDESK_HOURS'].flatMap((name) => {
    const value = process.env[name];
    return value === undefined ? [] : [[name, value]];
  }),
);

// The baselines show the default help desk details, as the baselines test captures them.
if (updateBaselines && Object.keys(helpDeskEnvironment).length > 0) {
  fail(
    `--update-baselines needs the default help desk details: unset ${Object.keys(helpDeskEnvironment).join(', ')}`,
  );
}
// The broker validates the help desk settings at start-up; check them before starting anything.
const { loadConfig } = await import('../broker/config.ts');
try {
  loadConfig(helpDeskEnvironment);
} catch (error) {
  console.error(`error: ${(error as Error).message}`);
  process.exit(1);
}

const folder = path.resolve(values.out ?? 'guide');
const images = path.join(folder, imagesFolder);
// Only what this command writes is replaced: --out may name a folder that holds other things.
await rm(images, { recursive: true, force: true });
await rm(path.join(folder, htmlName), { force: true });
await rm(path.join(folder, pdfName), { force: true });
await mkdir(images, { recursive: true });

const started = Date.now();
console.log(`Building the illustrated guide (${skin} wording) from a fresh seeded system…`);
const browser = await launchGuideBrowser();
try {
  const { helpDesk } = await captureScreens({
    browser,
    skin,
    env: helpDeskEnvironment,
    progress: (position, total, screen) =>
      console.log(
        `[${String(position).padStart(2)}/${total}] ${screen.label} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
      ),
    async onScreen(page, screen) {
      await writeFile(path.join(images, `${screen.name}.png`), await page.screenshot({ fullPage: true }));
      if (!updateBaselines) return;
      await fixVolatileText(page);
      await writeBaseline(screen.name, Buffer.from(await page.screenshot({ fullPage: true })));
    },
  });
  console.log('Writing the HTML and printing the PDF…');
  const written = await writeGuide(folder, browser, { skin, helpDesk, generatedAt: new Date() });
  if (updateBaselines) console.log(`Baselines updated in ${baselineFolder}`);
  console.log(`Guide written in ${((Date.now() - started) / 1000).toFixed(0)} s:`);
  console.log(`  ${written.html}`);
  console.log(`  ${written.pdf}`);
} finally {
  await browser.close();
}
