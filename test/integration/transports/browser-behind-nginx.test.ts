import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireProgram } from '../../support/external-program.js';
import { CHROMIUM, launchChromium, type Browser } from './chromium.js';
import { NGINX, startNginx, type RunningNginx } from './nginx.js';

const nginx = requireProgram(NGINX, 'nginx (Debian package nginx-light), for the browser-behind-a-proxy tests,');
const chromium = requireProgram(CHROMIUM, 'chromium (Debian package chromium), for the browser-behind-a-proxy tests,');

interface PageState {
  state: string;
  transport: string | null;
  tick: string;
  note: string;
  messages: number;
}

const READ_PAGE = `({
  state: client.state,
  transport: client.transport,
  tick: document.getElementById('tick').textContent,
  note: document.getElementById('transport-note').textContent,
  messages: document.querySelectorAll('#messages li').length,
})`;

let demo: ChildProcess | undefined;
let proxy: RunningNginx | undefined;
// One browser for the file: starting Chromium is the heaviest thing in the suite.
let browser: Browser | undefined;
beforeAll(async () => {
  if (nginx.available && chromium.available) browser = await launchChromium();
}, 30_000);
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await browser?.goto('about:blank');
  await proxy?.stop();
  proxy = undefined;
  demo?.kill('SIGTERM');
  demo = undefined;
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The demo (`pushwire serve`, from the build), nginx in front of it, Chromium on the page. */
async function openDemoBehindNginx(locations: (port: number) => string): Promise<Browser> {
  const port = await freePort();
  demo = spawn(process.execPath, ['dist/cli.js', 'serve', '--port', String(port), '--host', '127.0.0.1'], { stdio: 'ignore' });
  for (let i = 0; ; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      break;
    } catch (error) {
      if (i > 200) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  proxy = await startNginx(port, locations(port));
  await browser!.goto(proxy.url.replace(/\/pushwire$/, '/'));
  return browser!;
}

/** Waits for the page to be open and to have received two ticks, and for a chat message to go round. */
async function pageWorks(page: Browser): Promise<PageState> {
  let state: PageState | undefined;
  const read = async (): Promise<PageState> => (state = await page.evaluate<PageState>(READ_PAGE).catch(() => state!));
  const started = Date.now();
  let firstTick = '';
  while (Date.now() - started < 20_000) {
    await read();
    if (state?.state === 'open' && state.tick.startsWith('tick #')) {
      if (!firstTick) firstTick = state.tick;
      else if (state.tick !== firstTick) break;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(state?.state).toBe('open');
  expect(state?.tick).toMatch(/^tick #\d+/);
  expect(state?.tick).not.toBe(firstTick);
  await page.evaluate(`client.publish('chat', { text: 'from chromium' })`);
  for (let i = 0; i < 50 && (state?.messages ?? 0) < 1; i++) {
    await read();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(state!.messages).toBeGreaterThanOrEqual(1);
  return state!;
}

describe.skipIf(!nginx.available || !chromium.available)('Chromium, the demo page and a plain nginx proxy_pass in between', () => {
  it('falls back to SSE (fetch streaming) and works: ticks arrive, a publish goes round', async () => {
    const page = await openDemoBehindNginx(() => '');
    const state = await pageWorks(page);
    expect(state.transport).toBe('sse');
    expect(state.note).toMatch(/^websocket failed \(.+\); trying sse$/);
  });

  it('ends up on long-polling when the proxy refuses the SSE endpoint', async () => {
    const page = await openDemoBehindNginx(() => '    location = /pushwire/sse { return 403; }');
    const state = await pageWorks(page);
    expect(state.transport).toBe('long-polling');
    expect(state.note).toMatch(/^sse failed \(sse: HTTP 403[\s\S]*\); trying long-polling$/);
  });
});
