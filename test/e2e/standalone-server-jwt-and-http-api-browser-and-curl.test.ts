import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chromiumProgram, launchBrowser, openPage } from '../support/browser.js';
import { CliProcess } from '../support/cli-process.js';
import { closeAfterTest, closeAll } from '../support/close-after-test.js';
import { curl, curlAvailable } from '../support/curl.js';

// Needs the build (`npm test` builds first): `pushwire serve` is dist/cli.js, the page loads the IIFE build.
afterEach(closeAll);

const JWT_SECRET = 'e2e-jwt-secret-of-at-least-32-bytes!!';
const API_KEY = 'e2e-api-key-0123456789abcdef';

function token(claims: { sub: string; subscribe?: string[] }): Promise<string> {
  return new SignJWT({ subscribe: claims.subscribe ?? [] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub)
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(JWT_SECRET));
}

const CLIENT_SCRIPT = new URL('../../dist/pushwire.global.js', import.meta.url);

/** The application's page, on an origin of its own: the client's <script> build, and a subscription with its token. */
function appPage(pushwireBase: string, jwt: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>app</title>
<script src="/pushwire.js"></script></head><body><ul id="news"></ul><script>
window.received = []; window.refusals = [];
const client = Pushwire.connect(${JSON.stringify(`${pushwireBase}/pushwire`)}, { auth: () => ${JSON.stringify(jwt)} });
client.subscribe('news', {
  onMessage: (data) => { window.received.push(data); const li = document.createElement('li'); li.textContent = data.headline; document.getElementById('news').append(li); },
  onSubscribed: () => { window.subscribed = true; },
  onError: (error) => { window.refusals.push(error.code); },
});
</script></body></html>`;
}

describe.skipIf(!chromiumProgram.available || !curlAvailable())('pushwire serve with JWT auth and the HTTP API', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('a browser page receives what curl published; a token without the channel in its claims is refused', async () => {
    // The app's pages come from their own server; Pushwire allows that origin.
    const pages = new Map<string, string>();
    const script = readFileSync(CLIENT_SCRIPT);
    const app = createHttpServer((req, res) => {
      if (req.url === '/pushwire.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
      else res.writeHead(200, { 'content-type': 'text/html' }).end(pages.get(req.url ?? '') ?? 'not found');
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    closeAfterTest(app, (server) => new Promise((resolve) => server.close(resolve)));
    const appOrigin = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;

    const cli = new CliProcess(['serve', '--port=0', '--host', '127.0.0.1', '--allowed-origins', appOrigin], {
      PUSHWIRE_JWT_SECRET: JWT_SECRET,
      PUSHWIRE_API_KEYS: API_KEY,
    });
    const listening = await cli.log('listening');
    const base = `http://127.0.0.1:${listening.port as number}`;

    pages.set('/reader', appPage(base, await token({ sub: 'reader', subscribe: ['news'] })));
    pages.set('/outsider', appPage(base, await token({ sub: 'outsider', subscribe: ['sport:*'] })));
    const reader = await openPage(browser, `${appOrigin}/reader`);
    const outsider = await openPage(browser, `${appOrigin}/outsider`);
    await reader.page.waitForFunction(() => (window as unknown as { subscribed?: boolean }).subscribed === true, undefined, {
      timeout: 15_000,
    });
    await outsider.page.waitForFunction(() => (window as unknown as { refusals: string[] }).refusals.length > 0, undefined, {
      timeout: 15_000,
    });

    const published = await curl([
      '-X',
      'POST',
      '-H',
      `Authorization: Bearer ${API_KEY}`,
      '-H',
      'Content-Type: application/json',
      '-H',
      'Idempotency-Key: e2e-1',
      '--data-binary',
      JSON.stringify({ channel: 'news', data: { headline: 'published by curl' } }),
      `${base}/pushwire/api/publish`,
    ]);
    expect(published.status).toBe(200);

    await reader.page.waitForSelector('#news li', { timeout: 15_000 });
    expect(await reader.page.textContent('#news')).toBe('published by curl');
    const outsiderSaw = await outsider.page.evaluate(() => {
      const seen = window as unknown as { refusals: string[]; received: unknown[] };
      return { refusals: seen.refusals, received: seen.received };
    });
    expect(outsiderSaw).toEqual({ refusals: ['forbidden'], received: [] });
    expect([...reader.errors, ...outsider.errors]).toEqual([]);
  });
});
