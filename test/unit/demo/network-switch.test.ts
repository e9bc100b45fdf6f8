import { afterEach, describe, expect, it } from 'vitest';
import * as pushwire from '../../../src/client/index.js';
import type { OpenInfo, ReconnectInfo } from '../../../src/client/index.js';
import { NetworkSwitch } from '../../../demo/shared/network-switch.js';
import { availableTransports, forcedTransport, urlForcing } from '../../../demo/shared/transport-choice.js';
import { connectClient } from '../../support/client-harness.js';
import { closeAll } from '../../support/close-after-test.js';
import { startTestServer } from '../../support/server-harness.js';
import { waitFor } from '../../support/wait.js';

afterEach(closeAll);

describe('demo network switch (the inspector\'s "simulate network drop")', () => {
  it('cuts the connection; the client resumes the same session and gets what was published meanwhile', async () => {
    const server = await startTestServer();
    const network = new NetworkSwitch();
    const client = connectClient(server.url, { transports: network.wrap([pushwire.websocket]) });
    const got: unknown[] = [];
    const opens: OpenInfo[] = [];
    client.on('open', (info) => opens.push(info));
    client.subscribe('news', (data) => got.push(data));
    await waitFor(() => server.pushwire.stats().channels === 1 && client.state === 'open', 'subscribed');

    expect(network.drop(300)).toBe(1);
    expect(client.state).not.toBe('open');
    await server.pushwire.publish('news', 'while away');
    await waitFor(() => got.length === 1, 'delivered after the resume', 10_000);
    expect(opens.map((info) => info.resumed)).toEqual([false, true]);
  });

  it('refuses new connections while "offline", then lets them through', async () => {
    const server = await startTestServer();
    const network = new NetworkSwitch();
    const client = connectClient(server.url, { transports: network.wrap([pushwire.websocket]), reconnect: { min: 20, max: 40 } });
    const retries: ReconnectInfo[] = [];
    client.on('reconnecting', (info) => retries.push(info));
    await waitFor(() => client.state === 'open', 'open');
    const offlineFor = 400;
    const start = Date.now();
    network.drop(offlineFor);
    await waitFor(() => client.state === 'open', 'open again', 10_000);
    expect(Date.now() - start).toBeGreaterThanOrEqual(offlineFor - 60);
    expect(retries.length).toBeGreaterThan(1);
    expect(retries.slice(1).every((info) => /offline/.test(info.reason))).toBe(true);
  });

  it("finds the library's transports in fallback order, and forces one from the URL", () => {
    expect(availableTransports(pushwire).map((t) => t.name)).toEqual(['websocket', 'sse', 'long-polling']);
    expect(forcedTransport(pushwire, '?transport=sse')?.name).toBe('sse');
    expect(forcedTransport(pushwire, '?transport=carrier-pigeon')).toBeUndefined();
    expect(urlForcing('long-polling', 'http://x/react/?a=1')).toBe('http://x/react/?a=1&transport=long-polling');
    expect(urlForcing('', 'http://x/?transport=sse')).toBe('http://x/');
  });
});
