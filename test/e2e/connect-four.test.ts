import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumProgram, openPage, screenshot } from '../support/browser.js';
import { useDemoInChromium } from '../support/demo-in-chromium.js';
import { joinChat } from '../support/demo-page.js';

const status = (page: Page) => page.getByTestId('game-status');

async function statusIs(page: Page, text: string): Promise<void> {
  await expect.poll(() => status(page).textContent(), { timeout: 10_000 }).toBe(text);
}

/** Discs of seat 1 (red) and 2 (yellow) on the page's board. */
async function discs(page: Page): Promise<[number, number]> {
  return [await page.locator('.board .cell.p1').count(), await page.locator('.board .cell.p2').count()];
}

describe.skipIf(!chromiumProgram.available)('demo Connect Four in Chromium', () => {
  const env = useDemoInChromium();

  it('two players (vanilla and React) play to a win; each sees the other move at once; a spectator watches', async () => {
    const red = await openPage(env.browser, `${env.demo.url}/`);
    const yellow = await openPage(env.browser, `${env.demo.url}/react/`);
    const watcher = await openPage(env.browser, `${env.demo.url}/`, { width: 1000 });
    await joinChat(red.page, 'Rosa');
    await joinChat(yellow.page, 'Yusuf');

    await red.page.getByTestId('take-seat').click();
    await expect.poll(() => red.page.getByTestId('game-role').textContent()).toBe('playing Red');
    await statusIs(red.page, 'Waiting for an opponent to take the other seat…');
    await yellow.page.getByTestId('take-seat').click();
    await expect.poll(() => yellow.page.getByTestId('game-role').textContent()).toBe('playing Yellow');
    await statusIs(red.page, 'Your move (Red).');
    await statusIs(yellow.page, 'Waiting for Rosa to move…');
    await statusIs(watcher.page, 'Rosa (Red) to move.');
    expect(await watcher.page.getByTestId('take-seat').count()).toBe(0);

    // Out of turn, the board does not even offer a move.
    expect(await yellow.page.locator('.board .column[data-column="0"]').isDisabled()).toBe(true);

    const moves: Array<[Page, Page, number]> = [];
    for (let i = 0; i < 3; i++) moves.push([red.page, yellow.page, 3], [yellow.page, red.page, 4]);
    let played = 0;
    for (const [mover, other, column] of moves) {
      await mover.locator(`.board .column[data-column="${column}"]`).click();
      played++;
      // The opponent's board shows the disc, and it is now their move.
      await expect.poll(async () => (await discs(other)).reduce((a, b) => a + b), { timeout: 5_000 }).toBe(played);
      await expect.poll(() => status(other).textContent(), { timeout: 5_000 }).toMatch(/^Your move/);
    }
    await screenshot(yellow.page, 'connect-four-midgame-react');
    await red.page.locator('.board .column[data-column="3"]').click();

    await statusIs(red.page, 'You win!');
    await statusIs(yellow.page, 'Rosa (Red) wins.');
    await statusIs(watcher.page, 'Rosa (Red) wins.');
    for (const page of [red.page, yellow.page, watcher.page]) {
      expect(await discs(page)).toEqual([4, 3]);
      expect(await page.locator('.board .cell.win').count()).toBe(4);
    }
    await red.page.getByTestId('rematch').waitFor();
    await screenshot(red.page, 'connect-four-win-vanilla');
    await screenshot(yellow.page, 'connect-four-win-react');
    await screenshot(watcher.page, 'connect-four-spectator');

    // Rematch: the other player starts.
    await yellow.page.getByTestId('rematch').click();
    await statusIs(yellow.page, 'Your move (Yellow).');
    expect(await discs(watcher.page)).toEqual([0, 0]);
    expect([...red.errors, ...yellow.errors, ...watcher.errors]).toEqual([]);
    for (const opened of [red, yellow, watcher]) await opened.context.close();
  });
});
