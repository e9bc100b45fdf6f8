import { describe, expect, it } from 'vitest';
import * as pushwire from '../../src/client/index.js';
import { availableTransports } from '../../demo/shared/transport-choice.js';
import { chromiumProgram, openPage, screenshot } from '../support/browser.js';
import { useDemoInChromium } from '../support/demo-in-chromium.js';
import { chatMessage, factIs, joinChat, say } from '../support/demo-page.js';

// The transports the client library exports, as the inspector finds them.
const built = availableTransports(pushwire).map((transport) => transport.name);

const NO_WEBSOCKET = `Object.defineProperty(window, 'WebSocket', { value: undefined, configurable: true });`;
const NO_EVENTSOURCE = `Object.defineProperty(window, 'EventSource', { value: undefined, configurable: true });`;

describe.skipIf(!chromiumProgram.available)('demo transports in Chromium', () => {
  const env = useDemoInChromium();

  it('the inspector forces a transport from the list the library offers (reloads with ?transport=)', async () => {
    const { page, context, errors } = await openPage(env.browser, `${env.demo.url}/react/`);
    await factIs(page, 'state', 'open');
    const offered = await page
      .getByTestId('transport-select')
      .locator('option')
      .evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
    expect(built).toEqual(['websocket', 'sse', 'long-polling']);
    expect(offered).toEqual(['', ...built]);
    await factIs(page, 'transport', 'websocket');
    await page.getByTestId('transport-select').selectOption('long-polling');
    await page.waitForURL(/\?transport=long-polling$/);
    await factIs(page, 'state', 'open');
    await factIs(page, 'transport', 'long-polling');
    expect(await page.getByTestId('transport-select').inputValue()).toBe('long-polling');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('works over SSE when window.WebSocket is removed', async () => {
    const sse = await openPage(env.browser, `${env.demo.url}/`, { initScript: NO_WEBSOCKET });
    const ws = await openPage(env.browser, `${env.demo.url}/react/`);
    await factIs(sse.page, 'state', 'open');
    await factIs(sse.page, 'transport', 'sse');
    await sse.page.getByTestId('inspector-events').locator('li', { hasText: 'connected over sse' }).waitFor();
    await joinChat(sse.page, 'Sam');
    await joinChat(ws.page, 'Wes');
    await say(sse.page, 'sent over SSE + POST');
    await chatMessage(ws.page, 'sent over SSE + POST').waitFor();
    await say(ws.page, 'received over SSE');
    await chatMessage(sse.page, 'received over SSE').waitFor();
    await screenshot(sse.page, 'transport-sse');
    expect([...sse.errors, ...ws.errors]).toEqual([]);
    await sse.context.close();
    await ws.context.close();
  });

  it('works over long-polling when WebSocket is removed and SSE is blocked', async () => {
    const context = await env.browser.newContext({ viewport: { width: 1400, height: 900 } });
    // Blocked like a proxy that kills event streams: any request asking for one fails.
    await context.route('**/pushwire/**', (route) =>
      /text\/event-stream/.test(route.request().headers()['accept'] ?? '') ? route.abort() : route.continue(),
    );
    await context.addInitScript(NO_WEBSOCKET + NO_EVENTSOURCE);
    const page = await context.newPage();
    await page.goto(`${env.demo.url}/`);
    const ws = await openPage(env.browser, `${env.demo.url}/react/`);
    await factIs(page, 'state', 'open', 30_000);
    await factIs(page, 'transport', 'long-polling');
    await joinChat(page, 'Lou');
    await joinChat(ws.page, 'Wes');
    await say(page, 'sent over long-polling');
    await chatMessage(ws.page, 'sent over long-polling').waitFor();
    await say(ws.page, 'received over long-polling');
    await chatMessage(page, 'received over long-polling').waitFor();
    await screenshot(page, 'transport-long-polling');
    await context.close();
    await ws.context.close();
  });
});
