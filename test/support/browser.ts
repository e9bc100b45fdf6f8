import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { requireProgram } from './external-program.js';

export const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/e2e/', import.meta.url));

/** Debian's Chromium, if installed (under CI=true it must be: `.ci/run` installs it). */
export const chromiumProgram = requireProgram(CHROMIUM, 'chromium');

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface OpenedPage {
  page: Page;
  context: BrowserContext;
  /** Uncaught exceptions and console errors of the page, for a test to assert there were none. */
  errors: string[];
}

/** A page in a context of its own (its own sessionStorage and connections: another user). */
export async function openPage(browser: Browser, url: string, options: { initScript?: string; width?: number } = {}): Promise<OpenedPage> {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1400, height: 900 } });
  if (options.initScript) await context.addInitScript(options.initScript);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    // A dropped connection logs a network error by design; everything else is a bug.
    if (message.type() === 'error' && !/WebSocket|ERR_CONNECTION_REFUSED|net::/.test(message.text()))
      errors.push(`console: ${message.text()} (${message.location().url})`);
  });
  await page.goto(url);
  return { page, context, errors };
}

/** Saves a full-page screenshot to test-artifacts/e2e/NAME.png (git-ignored). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
}
