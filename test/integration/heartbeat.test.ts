import { afterEach, describe, expect, it } from 'vitest';
import type { ReconnectInfo } from '../../src/client/index.js';
import { openClient } from '../support/client-harness.js';
import { closeAll } from '../support/close-after-test.js';
import { controlledWebSocket } from '../support/controlled-websocket.js';
import { startTestServer } from '../support/server-harness.js';
import { delay, waitFor } from '../support/wait.js';

afterEach(closeAll);

describe('keepalive', () => {
  it('the client declares the connection dead when the server stops answering, then resumes', async () => {
    const server = await startTestServer({ heartbeatInterval: 100, heartbeatGrace: 100 });
    const network = controlledWebSocket();
    const client = await openClient(server.url, { WebSocket: network.WebSocket });
    const reconnects: ReconnectInfo[] = [];
    client.on('reconnecting', (info) => reconnects.push(info));
    const resumed: boolean[] = [];
    client.on('open', (info) => resumed.push(info.resumed));
    network.muteDown = true; // the server's frames (pings included) no longer arrive
    await waitFor(() => reconnects.length > 0, 'client-side heartbeat timeout', 2_000);
    expect(reconnects[0]!.code).toBe(4001);
    network.muteDown = false;
    await waitFor(() => resumed.length > 0, 'reconnected');
    expect(resumed[0]).toBe(true);
  });

  it('keeps an idle connection open as long as heartbeats flow both ways', async () => {
    // Short intervals, but a grace wide enough for a busy shared machine's event-loop stalls.
    const server = await startTestServer({ heartbeatInterval: 200, heartbeatGrace: 400 });
    const client = await openClient(server.url);
    let reconnects = 0;
    client.on('reconnecting', () => reconnects++);
    await delay(2_000); // ten intervals of silence but for heartbeats
    expect(reconnects).toBe(0);
    expect(client.state).toBe('open');
  });

  it('the server drops a connection whose client stops answering, and keeps the session', async () => {
    const server = await startTestServer({ heartbeatInterval: 100, heartbeatGrace: 50 });
    const network = controlledWebSocket();
    // The client's own deadline is far away, so only the server can notice.
    const client = await openClient(server.url, { WebSocket: network.WebSocket, heartbeatGrace: 60_000 });
    const reconnects: ReconnectInfo[] = [];
    client.on('reconnecting', (info) => reconnects.push(info));
    network.muteUp = true; // pongs and everything else from the client are lost
    await waitFor(() => reconnects.length > 0, 'server-side heartbeat timeout', 2_000);
    expect(reconnects[0]).toMatchObject({ code: 4001, reason: 'heartbeat timeout' });
    expect(server.pushwire.stats().sessions).toBe(1);
    network.muteUp = false;
    await waitFor(() => client.state === 'open' && server.pushwire.stats().connected === 1, 'back');
  });
});
