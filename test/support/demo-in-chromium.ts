import type { Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { launchBrowser } from './browser.js';
import { DemoProcess } from './demo-process.js';

/** A demo server process and a Chromium for one test file: started before its tests, stopped after. */
export function useDemoInChromium(): { readonly demo: DemoProcess; readonly browser: Browser } {
  const env = {} as { demo: DemoProcess; browser: Browser };
  beforeAll(async () => {
    env.demo = await DemoProcess.start();
    env.browser = await launchBrowser();
  });
  afterAll(async () => {
    await env.browser?.close();
    await env.demo?.kill();
  });
  return env;
}
