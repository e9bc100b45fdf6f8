import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, startDemoServer } from '../../demo/server/demo-server.js';
import { silentLogger } from '../../src/server/logger.js';

// Needs the build (`npm test` builds first): the pages load the bundles from dist/.
describe('demo server', () => {
  let demo: DemoServer;
  let base: string;

  beforeAll(async () => {
    demo = await startDemoServer(0, '127.0.0.1', { logger: silentLogger });
    base = `http://127.0.0.1:${demo.port}`;
  });

  afterAll(async () => {
    await demo.close();
  });

  it('serves the vanilla page with the IIFE builds (client, then the sync add-on) in plain script tags', async () => {
    const html = await (await fetch(`${base}/`)).text();
    expect(html).toContain('<script src="/dist/pushwire.global.js"></script>\n  <script src="/dist/pushwire-sync.global.js"></script>');
    expect(html).toContain('<script src="/dist/demo/vanilla.js"></script>');
  });

  it('serves the React page with its ESM bundle, and every asset locally', async () => {
    const html = await (await fetch(`${base}/react/`)).text();
    expect(html).toContain('<script type="module" src="/dist/demo/react.js"></script>');
    for (const path of [
      '/styles.css',
      '/favicon.svg',
      '/dist/pushwire.global.js',
      '/dist/pushwire-sync.global.js',
      '/dist/demo/vanilla.js',
      '/dist/demo/react.js',
    ]) {
      const response = await fetch(`${base}${path}`);
      expect(response.status, path).toBe(200);
    }
    for (const page of ['/', '/react/']) expect(await (await fetch(`${base}${page}`)).text()).not.toMatch(/https?:\/\//);
  });

  it('does not serve files outside the demo and dist folders', async () => {
    expect((await fetch(`${base}/../package.json`)).status).toBe(404);
    expect((await fetch(`${base}/%2e%2e/package.json`)).status).toBe(404);
  });
});
