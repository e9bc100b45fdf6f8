import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll } from '../support/close-after-test.js';
import { startTestServer, type TestServer } from '../support/server-harness.js';

// Needs the build (`npm test` builds first): the server serves dist/pushwire.global.js.
const built = readFileSync(new URL('../../dist/pushwire.global.js', import.meta.url));
const builtSync = readFileSync(new URL('../../dist/pushwire-sync.global.js', import.meta.url));

describe('the client script served by the server', () => {
  let server: TestServer;
  let base: string;

  beforeAll(async () => {
    server = await startTestServer();
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(closeAll);

  it('serves the <script> build at {path}/pushwire.js, revalidated by its ETag (304 when unchanged)', async () => {
    const response = await fetch(`${base}/pushwire/pushwire.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('public, max-age=0, must-revalidate');
    expect(Buffer.from(await response.arrayBuffer()).equals(built)).toBe(true);
    const etag = response.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9a-f]{12}"$/);
    const again = await fetch(`${base}/pushwire/pushwire.js`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('serves the same bytes at the versioned path server.scriptPath() gives, cached for good; another version is 404', async () => {
    const path = server.pushwire.scriptPath();
    expect(path).toMatch(/^\/pushwire\/pushwire\.[0-9a-f]{12}\.js$/);
    const response = await fetch(`${base}${path}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(Buffer.from(await response.arrayBuffer()).equals(built)).toBe(true);
    expect((await fetch(`${base}/pushwire/pushwire.000000000000.js`)).status).toBe(404);
  });

  it('serves the sync add-on the same way', async () => {
    const path = server.pushwire.scriptPath('pushwire-sync');
    expect(path).toMatch(/^\/pushwire\/pushwire-sync\.[0-9a-f]{12}\.js$/);
    for (const url of [`${base}/pushwire/pushwire-sync.js`, `${base}${path}`]) {
      const response = await fetch(url);
      expect(response.status, url).toBe(200);
      expect(Buffer.from(await response.arrayBuffer()).equals(builtSync), url).toBe(true);
    }
  });

  it('sends it gzipped to clients that accept gzip, whole to the others, and answers HEAD without a body', async () => {
    // node:http rather than fetch, which would unzip the body and hide the encoding.
    const raw = (headers: Record<string, string>, method = 'GET') =>
      new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
        const req = request(`${base}/pushwire/pushwire.js`, { method, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        });
        req.on('error', reject);
        req.end();
      });
    const zipped = await raw({ 'accept-encoding': 'gzip, deflate' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.body.length).toBeLessThan(built.length / 2);
    expect(gunzipSync(zipped.body).equals(built)).toBe(true);
    const whole = await raw({});
    expect(whole.headers['content-encoding']).toBeUndefined();
    expect(whole.body.equals(built)).toBe(true);
    const head = await raw({}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(built.length));
    expect(head.body.length).toBe(0);
  });

  it('refuses other methods, and leaves other names to the usual 404', async () => {
    expect((await fetch(`${base}/pushwire/pushwire.js`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${base}/pushwire/other.js`)).status).toBe(404);
    expect((await fetch(`${base}/pushwire/pushwire.js.map`)).status).toBe(404);
  });
});
