import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumProgram, launchBrowser, openPage, screenshot } from '../support/browser.js';
import { useDemoInChromium } from '../support/demo-in-chromium.js';
import { chatMessage, factIs, joinChat, say } from '../support/demo-page.js';
import { DemoProcess } from '../support/demo-process.js';
import { requireProgram } from '../support/external-program.js';
import { REDIS_SERVER, TestRedis } from '../support/redis-server.js';

const redisProgram = requireProgram(REDIS_SERVER, 'redis-server');

describe.skipIf(!chromiumProgram.available)('demo pages across a server restart, in Chromium', () => {
  const env = useDemoInChromium();

  it('reconnects by itself, shows the reset of the lost history, rejoins, and chat works again', async () => {
    const ana = await openPage(env.browser, `${env.demo.url}/`);
    const ben = await openPage(env.browser, `${env.demo.url}/react/`);
    // The odds board ticks as diffs on both pages.
    for (const { page } of [ana, ben]) {
      await expect.poll(() => page.getByTestId('odds-table').locator('tbody tr').count()).toBe(20);
      const first = await page.getByTestId('odds-seq').textContent();
      await expect.poll(() => page.getByTestId('odds-seq').textContent(), { timeout: 10_000 }).not.toBe(first);
      expect(await page.getByTestId('odds-reset').isVisible()).toBe(false);
    }
    await joinChat(ana.page, 'Ana');
    await joinChat(ben.page, 'Ben');
    await say(ana.page, 'before the restart');
    await chatMessage(ben.page, 'before the restart').waitFor();

    await env.demo.kill();
    for (const { page } of [ana, ben]) await factIs(page, 'state', /connecting|reconnecting/);
    await screenshot(ana.page, 'restart-while-down-vanilla');
    await env.demo.launch();

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
      // The odds board says it reloaded a fresh snapshot, and ticks on.
      await page.getByTestId('odds-reset').waitFor();
      await expect.poll(() => page.getByTestId('odds-table').locator('tbody tr').count()).toBe(20);
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

describe.skipIf(!chromiumProgram.available || !redisProgram.available)('demo nodes sharing Redis, a node restart, in Chromium', () => {
  let redis: TestRedis;
  let nodes: DemoProcess[] = [];
  let browser: Browser;

  beforeAll(async () => {
    redis = await TestRedis.start();
    nodes = [await DemoProcess.start({ REDIS_URL: redis.url }), await DemoProcess.start({ REDIS_URL: redis.url })];
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    for (const node of nodes) await node.kill();
    await redis?.stop();
  });

  it('recovers what was said on the other node while its own node was down: nothing lost, no reset', async () => {
    const [first, second] = nodes as [DemoProcess, DemoProcess];
    const ana = await openPage(browser, `${first.url}/`);
    const ben = await openPage(browser, `${second.url}/react/`);
    await joinChat(ana.page, 'Ana');
    await joinChat(ben.page, 'Ben');
    await say(ana.page, 'from node one');
    await chatMessage(ben.page, 'from node one').waitFor();

    await first.kill();
    await factIs(ana.page, 'state', /connecting|reconnecting/);
    await say(ben.page, 'said while node one was down');
    await first.launch();

    await factIs(ana.page, 'state', 'open');
    await chatMessage(ana.page, 'said while node one was down').waitFor();
    // The restarted node took the session over from its record in Redis: it went on, nothing lost.
    await factIs(ana.page, 'new-sessions', '0');
    await ana.page.getByTestId('inspector-events').locator('li', { hasText: 'session resumed' }).last().waitFor();
    await factIs(ana.page, 'resets', '0');
    await expect.poll(() => ana.page.getByTestId('chat-status').textContent()).toBe('recovered');
    expect(await ana.page.getByTestId('chat-reset').count()).toBe(0);
    await ana.page.getByTestId('inspector-events').locator('li', { hasText: 'chat: recovered' }).waitFor();
    // Each message exactly once.
    expect(await chatMessage(ana.page, 'said while node one was down').count()).toBe(1);
    expect(await chatMessage(ana.page, 'from node one').count()).toBe(1);
    await screenshot(ana.page, 'restart-recovered-redis-vanilla');
    expect([...ana.errors, ...ben.errors]).toEqual([]);
    await ana.context.close();
    await ben.context.close();
  });
});
