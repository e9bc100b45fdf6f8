import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumProgram, openPage } from '../support/browser.js';
import { useDemoInChromium } from '../support/demo-in-chromium.js';
import { factIs, joinChat } from '../support/demo-page.js';

const RELOADS = 10;
/** The server must end the old session this soon after the page unloads (the session TTL is 60 s). */
const BOUND = 2_000;

/** The watcher notes when each chat notice arrives (the server publishes "NAME left" when a session ends). */
const NOTE_NOTICES = `
  window.__notices = [];
  new MutationObserver((records) => {
    for (const record of records) for (const node of record.addedNodes) {
      if (node instanceof HTMLElement && node.matches('li.notice')) window.__notices.push({ text: node.textContent, at: Date.now() });
    }
  }).observe(document, { childList: true, subtree: true });
`;
/** The reloading page notes when it unloads; the tab's sessionStorage keeps it across the reload. */
const NOTE_PAGEHIDE = `addEventListener('pagehide', () => sessionStorage.setItem('test-pagehide-at', String(Date.now())));`;

/** When the watcher got each "NAME left" notice (same machine, same clock as the other page). */
const leftAt = (watcher: Page, name: string): Promise<number[]> =>
  watcher.evaluate(
    (who) =>
      (window as unknown as { __notices: Array<{ text: string; at: number }> }).__notices
        .filter((n) => n.text === `${who} left`)
        .map((n) => n.at),
    name,
  );

describe.skipIf(!chromiumProgram.available)('a page that reloads ends its session (demo in Chromium)', () => {
  const env = useDemoInChromium();

  it.each([
    ['websocket', 'Wanda'],
    ['sse', 'Sasha'],
    ['long-polling', 'Lola'],
  ])(
    `over %s, each of ${RELOADS} reloads ends the old session within ${BOUND / 1000} s, so the name is free again at once`,
    async (transport, name) => {
      const watcher = await openPage(env.browser, `${env.demo.url}/`, { initScript: NOTE_NOTICES });
      await factIs(watcher.page, 'state', 'open');
      const { page, context, errors } = await openPage(env.browser, `${env.demo.url}/?transport=${transport}`, {
        initScript: NOTE_PAGEHIDE,
      });
      await factIs(page, 'transport', transport);
      await joinChat(page, name);
      const took: number[] = [];
      for (let i = 0; i < RELOADS; i++) {
        const before = (await leftAt(watcher.page, name)).length;
        const sessionBefore = (await page.getByTestId('inspector').getByTestId('session').textContent())?.trim();
        await page.reload();
        await expect
          .poll(async () => (await leftAt(watcher.page, name)).length, {
            timeout: BOUND + 3_000,
            message: `reload ${i + 1}: the old session ended`,
          })
          .toBe(before + 1);
        const hiddenAt = Number(await page.evaluate(() => sessionStorage.getItem('test-pagehide-at')));
        took.push((await leftAt(watcher.page, name))[before]! - hiddenAt);
        // The reloaded page is a new session on the same transport and gets its name back (the demo joins
        // again under the name the tab remembers): nobody holds it any more.
        await factIs(page, 'state', 'open');
        await factIs(page, 'transport', transport);
        await page.locator('.me strong', { hasText: name }).waitFor({ timeout: 5_000 });
        expect((await page.getByTestId('inspector').getByTestId('session').textContent())?.trim()).not.toBe(sessionBefore);
      }
      console.log(`[e2e] ${transport}: the old session ended ${took.join(', ')} ms after the page unloaded`);
      expect(Math.max(...took), `every old session ended within ${BOUND} ms (took ${took.join(', ')} ms)`).toBeLessThanOrEqual(BOUND);
      expect(errors).toEqual([]);
      await context.close();
      await watcher.context.close();
    },
  );
});
