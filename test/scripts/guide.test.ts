// `npm run guide` builds the trainers' illustrated guide from a fresh system: the HTML with its
// screenshots and the PDF, whose text and images we read back with poppler (pdftotext, pdfimages).
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { skins } from '../../mock-idp/views/skins.ts';
import { authenticationErrorText, failures, guideSteps } from '../../scripts/guide/content.ts';
import { guideTitle, renderHtml } from '../../scripts/guide/render.ts';
import { screens } from '../../scripts/guide/screens.ts';

const run = promisify(execFile);
const script = path.join(import.meta.dirname, '..', '..', 'scripts', 'guide.ts');
const squash = (text: string) => text.replace(/\s+/g, ' ').trim();
const helpDesk = {
  HELPDESK_EMAIL: 'cqrs.training@example.nhs.uk',
  HELPDESK_PHONE: '0300 555 0199',
  HELPDESK_HOURS: '9am-5pm every weekday',
};

test('npm run guide writes the HTML and a PDF with the guide, the help desk details and every screenshot', async (t) => {
  // A fresh system walks 18 screens across three services: allow for a busy machine.
  t.timeout(5 * 60_000);
  const folder = await mkdtemp(path.join(tmpdir(), 'cqrs-guide-'));
  try {
    const { stdout } = await run(process.execPath, [script, '--out', folder], {
      env: { ...process.env, ...helpDesk },
      timeout: 5 * 60_000,
    });
    t.regex(stdout, new RegExp(`\\[ 1/${screens.length}\\] Step 1`), 'progress is shown');
    t.true(stdout.includes(path.join(folder, 'index.html')), 'the HTML path is printed');
    const pdf = path.join(folder, 'cqrs-sso-user-guide.pdf');
    t.true(stdout.includes(pdf), 'the PDF path is printed');

    const images = (await readdir(path.join(folder, 'images'))).sort();
    t.deepEqual(images, screens.map((screen) => `${screen.name}.png`).sort());
    const html = await readFile(path.join(folder, 'index.html'), 'utf8');
    for (const image of images) t.true(html.includes(`src="images/${image}"`), image);

    const text = squash((await run('pdftotext', [pdf, '-'])).stdout);
    const skin = skins.guide;
    for (const expected of [
      guideTitle,
      'Introduction',
      'Single sign on process',
      'CQRS help desk contact details',
      'Appendix: When sign-in does not work',
      '“Sign In” button',
      skin.signInHeading,
      skin.invalidCredentials,
      authenticationErrorText,
      `Email: ${helpDesk.HELPDESK_EMAIL}`,
      `Phone: ${helpDesk.HELPDESK_PHONE} (${helpDesk.HELPDESK_HOURS})`,
      'Why this happened (trainer mode)',
      'What the user sees',
      'What causes it',
      'What to tell the user',
      'How a tester triggers it',
      'npm run mock-idp -- next-sign-in not_assigned --account jane.smith@nhs.net',
    ]) {
      t.true(text.includes(squash(expected)), `the PDF says: ${expected}`);
    }
    for (const failure of failures(skin)) t.true(text.includes(failure.title), `appendix: ${failure.title}`);
    t.false(text.includes('support@cqrs.co.uk'), 'the configured help desk replaces the default');

    // One embedded image per screenshot shown (the step 5 screen appears twice).
    const listing = (await run('pdfimages', ['-list', pdf])).stdout.trim().split('\n').slice(2);
    t.true(listing.length >= screens.length, `${listing.length} images in the PDF`);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});

test('every step and every failure of the guide shows a screen that the guide captures', (t) => {
  const captured = new Set(screens.map((screen) => screen.name));
  for (const skin of [skins.guide, skins.entra]) {
    for (const step of guideSteps(skin)) t.true(captured.has(step.screen), step.screen);
    for (const failure of failures(skin)) t.true(captured.has(failure.screen), failure.screen);
  }
  const titles = failures(skins.guide).map((failure) => failure.title);
  t.is(new Set(titles).size, 12, 'twelve failure modes');
});

test('--skin entra words the guide with the pages of today', async (t) => {
  const html = await renderHtml({
    skin: 'entra',
    helpDesk: { email: 'support@cqrs.co.uk', phone: '0800 4402777', hours: 'any time' },
    generatedAt: new Date('2026-11-30T12:00:00Z'),
  });
  t.true(html.includes(skins.entra.invalidCredentials.replace("'", '&#39;')));
  t.true(html.includes(skins.entra.lockedHeading));
  t.false(html.includes(skins.guide.invalidCredentials));
  t.true(html.includes('30 November 2026'));
});

test('a bad option or help desk setting is refused before anything starts', async (t) => {
  const failure = await t.throwsAsync(run(process.execPath, [script, '--skin', 'purple']));
  t.is((failure as unknown as { code: number }).code, 2);
  t.regex(
    (failure as unknown as { stderr: string }).stderr,
    /--skin must be guide or entra, not purple\nusage: npm run guide/,
  );
  const update = await t.throwsAsync(
    run(process.execPath, [script, '--skin', 'entra', '--update-baselines']),
  );
  t.regex((update as unknown as { stderr: string }).stderr, /--update-baselines takes the guide skin only/);
  const helpDeskFailure = await t.throwsAsync(
    run(process.execPath, [script], { env: { ...process.env, HELPDESK_EMAIL: 'not-an-email' } }),
  );
  t.is((helpDeskFailure as unknown as { code: number }).code, 1);
  t.regex((helpDeskFailure as unknown as { stderr: string }).stderr, /HELPDESK_EMAIL: Invalid email address/);
});
