import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumProgram, launchBrowser, openPage, screenshot } from '../support/browser.js';
import { chatMessage, factIs, joinChat, say } from '../support/demo-page.js';
import { DemoProcess } from '../support/demo-process.js';

describe.skipIf(!chromiumProgram.available)('demo pages across a server restart, in Chromium', () => {
  let demo: DemoProcess;
  let browser: Browser;

  beforeAll(async () => {
    demo = await DemoProcess.start();
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.kill();
  });

  it('reconnects by itself, shows the reset of the lost history, rejoins, and chat works again', async () => {
    const ana = await openPage(browser, `${demo.url}/`);
    const ben = await openPage(browser, `${demo.url}/react/`);
    await joinChat(ana.page, 'Ana');
    await joinChat(ben.page, 'Ben');
    await say(ana.page, 'before the restart');
    await chatMessage(ben.page, 'before the restart').waitFor();

    await demo.kill();
    for (const { page } of [ana, ben]) await factIs(page, 'state', /connecting|reconnecting/);
    await screenshot(ana.page, 'restart-while-down-vanilla');
    await demo.launch();

    for (const { page } of [ana, ben]) {
      await factIs(page, 'state', 'open');
      await factIs(page, 'reconnects', '1');
      // The crashed server lost the sessions and, with the in-memory broker, the channels' history.
      await factIs(page, 'new-sessions', '1');
      await factIs(page, 'resets', /^[1-9]/);
      await page.getByTestId('chat-reset').waitFor();
      await expect.poll(() => page.getByTestId('chat-status').textContent()).toBe('reset');
      await page.getByTestId('inspector-events').locator('li', { hasText: 'new one started' }).waitFor();
      // What was shown before stays: a reset adds a notice, it does not wipe the page.
      await chatMessage(page, 'before the restart').waitFor();
    }
    // Both pages joined the room again under their names, so they can talk at once.
    await ana.page.getByTestId('chat-log').locator('li.notice', { hasText: 'Ben joined' }).last().waitFor();
    await say(ben.page, 'after the restart');
    await chatMessage(ana.page, 'after the restart').waitFor();
    await say(ana.page, 'still here');
    await chatMessage(ben.page, 'still here').waitFor();
    // The game table came back too (a new, empty one).
    await expect.poll(() => ana.page.getByTestId('game-status').textContent()).toBe('Waiting for two players to take a seat.');

    await screenshot(ana.page, 'restart-recovered-vanilla');
    await screenshot(ben.page, 'restart-recovered-react');
    expect([...ana.errors, ...ben.errors]).toEqual([]);
    await ana.context.close();
    await ben.context.close();
  });
});
