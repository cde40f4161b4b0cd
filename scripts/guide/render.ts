// Writes the illustrated guide: an HTML page with its screenshots beside it in images/, and a PDF of
// that page printed by Chromium.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import ejs from 'ejs';
import type { Browser } from 'puppeteer-core';
import type { HelpDesk } from '../../broker/config.ts';
import type { Skin } from '../../mock-idp/config.ts';
import { skins } from '../../mock-idp/views/skins.ts';
import { failures, guideSteps } from './content.ts';

export const guideTitle = 'Calculating Quality Reporting Service (CQRS) single sign on user guide';
export const imagesFolder = 'images';
export const htmlName = 'index.html';
export const pdfName = 'cqrs-sso-user-guide.pdf';

const skinNames: Record<Skin, string> = {
  guide: 'NHSmail 2020 guide',
  entra: 'current Microsoft Entra',
};

export async function renderHtml(options: {
  skin: Skin;
  helpDesk: HelpDesk;
  generatedAt: Date;
}): Promise<string> {
  const skin = skins[options.skin];
  const css = await readFile(path.join(import.meta.dirname, 'guide.css'), 'utf8');
  return ejs.renderFile(path.join(import.meta.dirname, 'guide.ejs'), {
    title: guideTitle,
    css,
    generatedOn: options.generatedAt.toLocaleDateString('en-GB', {
      day: 'numeric',
      month: 'long',
      year: 'numeric',
    }),
    skinName: skinNames[options.skin],
    steps: guideSteps(skin),
    failures: failures(skin),
    helpDesk: options.helpDesk,
    imageOf: (screen: string) => `${imagesFolder}/${screen}.png`,
  });
}

/** Renders the HTML into `folder` and prints it to PDF; returns both paths. */
export async function writeGuide(
  folder: string,
  browser: Browser,
  options: { skin: Skin; helpDesk: HelpDesk; generatedAt: Date },
): Promise<{ html: string; pdf: string }> {
  const html = path.join(folder, htmlName);
  const pdf = path.join(folder, pdfName);
  await writeFile(html, await renderHtml(options));
  const page = await browser.newPage();
  try {
    await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });
    await page.pdf({
      path: pdf,
      format: 'A4',
      printBackground: true,
      displayHeaderFooter: true,
      headerTemplate: '<span></span>',
      footerTemplate:
        '<div style="font-size:8px;width:100%;text-align:center;color:#4c6272">CQRS single sign on user guide — page <span class="pageNumber"></span> of <span class="totalPages"></span></div>',
      margin: { top: '16mm', bottom: '18mm', left: '15mm', right: '15mm' },
    });
  } finally {
    await page.close();
  }
  return { html, pdf };
}
