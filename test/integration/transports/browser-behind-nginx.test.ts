import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FallbackInfo } from '../../../src/client/index.js';
import { createServer } from '../../../src/server/index.js';
import { silentLogger } from '../../../src/server/logger.js';
import { CHROMIUM, launchBrowser, openPage } from '../../support/browser.js';
import { closeAfterTest, closeAll } from '../../support/close-after-test.js';
import { requireProgram } from '../../support/external-program.js';
import { NGINX, startNginx } from '../../support/nginx.js';
import { startTestServerWith, type TestServer } from '../../support/server-harness.js';
import { delay } from '../../support/wait.js';

const nginx = requireProgram(NGINX, 'nginx (Debian package nginx-light), for the browser-behind-a-proxy tests,');
const chromium = requireProgram(CHROMIUM, 'chromium (Debian package chromium), for the browser-behind-a-proxy tests,');

/** A page with the IIFE build (`npm test` builds it first) that records what the client sees. */
const PAGE = `<!doctype html><meta charset="utf-8"><title>pushwire transports</title>
<script src="/pushwire.global.js"></script>
<script>
  window.fallbacks = [];
  window.received = [];
  window.subscribed = false;
  window.client = Pushwire.connect('/pushwire');
  client.on('fallback', (info) => fallbacks.push(info));
  client.subscribe('feed', { onMessage: (n) => received.push(n), onSubscribed: () => (subscribed = true) });
</script>`;

interface PageState {
  state: string;
  transport: string | null;
  subscribed: boolean;
  received: unknown[];
  fallbacks: FallbackInfo[];
}
const READ_PAGE = '({ state: client.state, transport: client.transport, subscribed, received, fallbacks })';

// One browser for the file: starting Chromium is the heaviest thing in the suite.
let browser: Browser | undefined;
beforeAll(async () => {
  if (nginx.available && chromium.available) browser = await launchBrowser();
}, 30_000);
afterAll(async () => {
  await browser?.close();
});
afterEach(closeAll);

/** The real server (which also serves the page and the build), nginx in front of it, Chromium on the page. */
async function openPageBehindNginx(
  locations: (port: number) => string,
): Promise<{ server: TestServer; tab: Page; read: () => Promise<PageState> }> {
  const script = readFileSync('dist/pushwire.global.js');
  // The page's own listener; Pushwire, attached after it, passes it every request outside /pushwire.
  const http = createHttpServer((req, res) => {
    if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    else if (req.url === '/pushwire.global.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    else res.writeHead(404).end();
  });
  const server = await startTestServerWith(http, createServer({ logger: silentLogger, canPublish: () => true }).attach(http));
  const proxy = closeAfterTest(await startNginx(server.port, locations(server.port)), (nginx) => nginx.stop());
  const { page: tab, context } = await openPage(browser!, proxy.url.replace(/\/pushwire$/, '/'));
  closeAfterTest(context); // closed first after the test: the page's client stops before the proxy and the server
  let last: PageState | undefined;
  return { server, tab, read: async () => (last = ((await tab.evaluate(READ_PAGE).catch(() => last)) as PageState | undefined) ?? last!) };
}

/** Open and subscribed; 500 messages from the server and one from the page arrive exactly once, in order. */
async function streamsThrough({
  server,
  tab,
  read,
}: {
  server: TestServer;
  tab: Page;
  read: () => Promise<PageState>;
}): Promise<PageState> {
  let page: PageState | undefined;
  const until = async (check: (page: PageState) => boolean, what: string): Promise<void> => {
    const started = Date.now();
    while (!(page && check(page))) {
      if (Date.now() - started > 20_000) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(page)}`);
      page = await read();
      await delay(50);
    }
  };
  await until((p) => p.state === 'open' && p.subscribed, 'the page to open and subscribe');
  for (let i = 1; i <= 500; i++) await server.pushwire.publish('feed', i);
  await tab.evaluate(`client.publish('feed', 'from chromium')`);
  await until((p) => p.received.length >= 501, 'every message in the page');
  await delay(100); // a moment more, so that a duplicate arriving late would be seen
  page = await read();
  expect(page.received).toEqual([...Array.from({ length: 500 }, (_, i) => i + 1), 'from chromium']);
  return page;
}

describe.skipIf(!nginx.available || !chromium.available)('Chromium behind a plain nginx proxy_pass', () => {
  it('falls back to SSE (fetch streaming) and carries every message exactly once, both ways', async () => {
    const page = await streamsThrough(await openPageBehindNginx(() => ''));
    expect(page.transport).toBe('sse');
    expect(page.fallbacks.map((f) => [f.from, f.to])).toEqual([['websocket', 'sse']]);
  });

  it('ends up on long-polling when the proxy refuses the SSE endpoint', async () => {
    const page = await streamsThrough(await openPageBehindNginx(() => '    location = /pushwire/sse { return 403; }'));
    expect(page.transport).toBe('long-polling');
    expect(page.fallbacks.map((f) => [f.from, f.to])).toEqual([
      ['websocket', 'sse'],
      ['sse', 'long-polling'],
    ]);
    expect(page.fallbacks[1]!.reason).toMatch(/^sse: HTTP 403/);
  });
});
