import { afterEach, describe, expect, it } from 'vitest';
import type { FallbackInfo, PushwireClient } from '../../../src/client/index.js';
import { connectClient, TRANSPORTS } from '../../support/client-harness.js';
import { closeAfterTest, closeAll } from '../../support/close-after-test.js';
import { requireProgram } from '../../support/external-program.js';
import { NGINX, startNginx } from '../../support/nginx.js';
import { startTestServer, type TestServer } from '../../support/server-harness.js';
import { waitFor } from '../../support/wait.js';
import { collect, expectExactlyOnceInOrder, publishStream } from './stream.js';

const { available } = requireProgram(NGINX, 'nginx (Debian package nginx-light), for the reverse-proxy tests,');

afterEach(closeAll);

const ALL = [TRANSPORTS.websocket, TRANSPORTS.sse, TRANSPORTS['long-polling']];

async function throughProxy(
  locations: (upstreamPort: number) => string,
): Promise<{ server: TestServer; client: PushwireClient; fallbacks: FallbackInfo[] }> {
  const server = await startTestServer();
  const proxy = closeAfterTest(await startNginx(server.port, locations(server.port)), (nginx) => nginx.stop());
  const client = connectClient(proxy.url, { transports: ALL, welcomeTimeout: 3000, upgrade: { min: 60_000 } });
  const fallbacks: FallbackInfo[] = [];
  client.on('fallback', (info) => fallbacks.push(info));
  return { server, client, fallbacks };
}

async function streamsExactlyOnce(server: TestServer, client: PushwireClient, count: number): Promise<void> {
  const result = collect(client, 'through-proxy');
  await waitFor(() => client.state === 'open', 'open');
  await publishStream(server, 'through-proxy', result, count);
  expectExactlyOnceInOrder(result, count);
  await expect(client.ping()).resolves.toBeGreaterThanOrEqual(0);
}

describe.skipIf(!available)('behind a real nginx with a plain proxy_pass (no Upgrade forwarding, proxy_buffering on)', () => {
  it('ends up on SSE and works', async () => {
    const { server, client, fallbacks } = await throughProxy(() => '');
    await waitFor(() => client.state === 'open', 'open', 15_000);
    expect(client.transport).toBe('sse');
    expect(fallbacks).toEqual([{ from: 'websocket', to: 'sse', code: 1006, reason: 'websocket: Unexpected server response: 426' }]);
    await streamsExactlyOnce(server, client, 2000);
  });

  it('ends up on long-polling when the proxy refuses the SSE endpoint', async () => {
    const { server, client, fallbacks } = await throughProxy(() => '    location = /pushwire/sse { return 403; }');
    await waitFor(() => client.state === 'open', 'open', 15_000);
    expect(client.transport).toBe('long-polling');
    expect(fallbacks.map((f) => [f.from, f.to])).toEqual([
      ['websocket', 'sse'],
      ['sse', 'long-polling'],
    ]);
    expect(fallbacks[1]!.reason).toMatch(/^sse: HTTP 403/);
    await streamsExactlyOnce(server, client, 2000);
  });

  it('ends up on long-polling when the proxy buffers the SSE stream (caught by the health check)', async () => {
    const { server, client, fallbacks } = await throughProxy(
      (port) => `    location = /pushwire/sse { proxy_pass http://127.0.0.1:${port}; proxy_ignore_headers X-Accel-Buffering; }`,
    );
    await waitFor(() => client.state === 'open', 'open', 15_000);
    expect(client.transport).toBe('long-polling');
    expect(fallbacks.map((f) => [f.from, f.to])).toEqual([
      ['websocket', 'sse'],
      ['sse', 'long-polling'],
    ]);
    expect(fallbacks[1]!.reason).toBe('sse: no welcome within 3000 ms (health check)');
    await streamsExactlyOnce(server, client, 2000);
  });
});
