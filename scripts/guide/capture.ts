// Walks the guide's screens in headless Chromium on fresh seeded systems (scratch databases, free
// loopback ports) and hands each arrived page to the caller to photograph.
import type { Browser, Page } from 'puppeteer-core';
import type { HelpDesk } from '../../broker/config.ts';
import type { Skin } from '../../mock-idp/config.ts';
import { launchBrowser } from '../../test/helpers/browser.ts';
import { startSystem, type TestSystem } from '../../test/helpers/system.ts';
import { type Screen, type SystemKind, screens } from './screens.ts';

export const viewport = { width: 1024, height: 768 } as const;

export interface CaptureOptions {
  browser: Browser;
  skin: Skin;
  /** Extra environment for every service, e.g. the HELPDESK_* settings. */
  env?: Record<string, string>;
  /** Only these screens (by name); every screen when absent. */
  only?: readonly string[];
  progress?: (position: number, total: number, screen: Screen) => void;
  /** Called once the page shows the screen: take the screenshot(s) here. */
  onScreen(page: Page, screen: Screen): Promise<void>;
}

function systemEnvironment(kind: SystemKind, options: CaptureOptions): Record<string, string> {
  const trainerMode = kind === 'trainer' ? 'true' : 'false';
  return {
    MOCK_SKIN: options.skin,
    MOCK_TRAINER_MODE: trainerMode,
    BROKER_TRAINER_MODE: trainerMode,
    // The timeout screen waits for the broker to give up on a slow NHSmail: keep both short, the
    // mock's delay just past the broker's limit.
    UPSTREAM_TIMEOUT_MS: '2500',
    MOCK_SLOW_RESPONSE_MS: '3000',
    ...options.env,
  };
}

/** Leaves nothing on the page that depends on where the mouse or the focus happened to be. */
async function settle(page: Page): Promise<void> {
  await page.addStyleTag({ content: '*, *::before { caret-color: transparent !important; }' });
  await page.evaluate('document.activeElement?.blur()');
  await page.mouse.move(0, 0);
  // The web fonts fail at once (no host resolves); wait until the page has settled on the fallback.
  await page.evaluate('document.fonts.ready.then(() => true)');
}

/**
 * Headless Chromium that loads nothing from off this machine: the NHS.UK stylesheet names web fonts on
 * a public host, which would make the screenshots depend on the network. The fallback font renders the
 * same every time.
 */
export function launchGuideBrowser(): Promise<Browser> {
  return launchBrowser(['--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1']);
}

export async function captureScreens(options: CaptureOptions): Promise<{ helpDesk: HelpDesk }> {
  const chosen = screens.filter((screen) => !options.only || options.only.includes(screen.name));
  const kinds = [...new Set(chosen.map((screen) => screen.system))];
  const systems = new Map<SystemKind, TestSystem>();
  const started = await Promise.allSettled(
    kinds.map((kind) => startSystem({ env: systemEnvironment(kind, options) })),
  );
  started.forEach((result, index) => {
    if (result.status === 'fulfilled') systems.set(kinds[index] as SystemKind, result.value);
  });
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    await Promise.all([...systems.values()].map((system) => system.close()));
    throw failed.reason;
  }
  const { browser } = options;
  try {
    for (const [index, screen] of chosen.entries()) {
      options.progress?.(index + 1, chosen.length, screen);
      const system = systems.get(screen.system) as TestSystem;
      const context = await browser.createBrowserContext();
      try {
        const page = await context.newPage();
        await page.setViewport(viewport);
        await screen.reach(page, system);
        await settle(page);
        await options.onScreen(page, screen);
      } catch (error) {
        throw new Error(`${screen.label} (${screen.name}): ${(error as Error).message}`, { cause: error });
      } finally {
        await context.close();
      }
    }
    const any = systems.values().next().value as TestSystem;
    return { helpDesk: { ...any.brokerConfig.helpDesk } };
  } finally {
    await Promise.all([...systems.values()].map((system) => system.close()));
  }
}

/** Replaces what differs from run to run (the reference number) with a fixed stand-in. */
export async function fixVolatileText(page: Page): Promise<void> {
  await page.$$eval('[data-testid=correlation-id]', (elements) => {
    for (const element of elements) element.textContent = '00000000-0000-4000-8000-000000000000';
  });
}
