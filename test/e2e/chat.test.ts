import { describe, expect, it } from 'vitest';
import { chromiumProgram, openPage, screenshot } from '../support/browser.js';
import { useDemoInChromium } from '../support/demo-in-chromium.js';
import { chatMessage, factIs, joinChat, say } from '../support/demo-page.js';

describe.skipIf(!chromiumProgram.available)('demo chat in Chromium', () => {
  const env = useDemoInChromium();

  it('two people chat across the vanilla and the React page, text shown as text, history for a latecomer', async () => {
    const ana = await openPage(env.browser, `${env.demo.url}/`);
    const ben = await openPage(env.browser, `${env.demo.url}/react/`);
    for (const { page } of [ana, ben]) await factIs(page, 'state', 'open');
    await factIs(ana.page, 'transport', 'websocket');

    await joinChat(ana.page, 'Ana');
    await joinChat(ben.page, 'Ben');
    await ana.page.getByTestId('chat-log').locator('li.notice', { hasText: 'Ben joined' }).waitFor();

    const attack = 'look <img src=x onerror="window.__pwned=1"> <b>bold</b>';
    await say(ana.page, attack);
    await chatMessage(ben.page, 'look').waitFor();
    await say(ben.page, 'Hi Ana, greetings from React');
    await chatMessage(ana.page, 'greetings from React').waitFor();
    // Presence: both pages are in the room, each sees the other.
    for (const { page } of [ana, ben]) await expect.poll(() => page.getByTestId('chat-online').textContent()).toBe('2 online');

    // The markup arrived as characters: no element was made from it, nothing ran.
    for (const { page } of [ana, ben]) {
      expect(await chatMessage(page, 'look').locator('.text').textContent()).toBe(attack);
      expect(await page.getByTestId('chat-log').locator('img, b').count()).toBe(0);
      expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    }
    // Each page marks its own messages.
    expect(await chatMessage(ana.page, 'look').getAttribute('class')).toContain('mine');
    expect(await chatMessage(ben.page, 'look').getAttribute('class')).not.toContain('mine');

    // A latecomer gets the history (subscribe with rewind), before choosing a name.
    const cy = await openPage(env.browser, `${env.demo.url}/react/`);
    await chatMessage(cy.page, 'greetings from React').waitFor();
    expect(await cy.page.getByTestId('chat-log').locator('li').allTextContents()).toEqual([
      expect.stringContaining('Ana joined'),
      expect.stringContaining('Ben joined'),
      expect.stringContaining('look <img'),
      expect.stringContaining('Hi Ana'),
    ]);
    await factIs(ana.page, 'rtt', /^\d+ ms$/);

    await screenshot(ana.page, 'chat-vanilla');
    await screenshot(ben.page, 'chat-react');
    await screenshot(cy.page, 'chat-react-latecomer');
    // Ben closes his tab: the others see him leave.
    await ben.context.close();
    await ana.page.getByTestId('chat-log').locator('li.notice', { hasText: 'Ben left' }).waitFor();
    expect([...ana.errors, ...ben.errors, ...cy.errors]).toEqual([]);
    await ana.context.close();
    await cy.context.close();
  });

  it('a simulated network drop resumes the session and delivers what was said meanwhile', async () => {
    const ana = await openPage(env.browser, `${env.demo.url}/`);
    const ben = await openPage(env.browser, `${env.demo.url}/react/`);
    await joinChat(ana.page, 'Ana2');
    await joinChat(ben.page, 'Ben2');
    await factIs(ben.page, 'state', 'open');
    const session = await ben.page.getByTestId('session').textContent();

    await ben.page.getByTestId('drop').click();
    await factIs(ben.page, 'state', /connecting|reconnecting/);
    await say(ana.page, 'said while Ben was offline');
    await factIs(ben.page, 'reconnects', '1');
    await chatMessage(ben.page, 'said while Ben was offline').waitFor();
    await factIs(ben.page, 'new-sessions', '0');
    expect(await ben.page.getByTestId('session').textContent()).toBe(session);
    await ben.page.getByTestId('inspector-events').locator('li', { hasText: 'session resumed, nothing lost' }).waitFor();
    await screenshot(ben.page, 'network-drop-react');
    expect([...ana.errors, ...ben.errors]).toEqual([]);
    await ana.context.close();
    await ben.context.close();
  });

  it('lays out on a phone-sized screen without overflowing sideways', async () => {
    const phone = await openPage(env.browser, `${env.demo.url}/`, { width: 390 });
    await factIs(phone.page, 'state', 'open');
    const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBe(0);
    await screenshot(phone.page, 'phone-vanilla');
    await phone.context.close();
  });
});
