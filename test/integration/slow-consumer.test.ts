import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { PushwireServer, SessionEndReason } from '../../src/server/index.js';
import { connectClient, TRANSPORTS, waitForOpen } from '../support/client-harness.js';
import { closeAfterTest, closeAll } from '../support/close-after-test.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { startTestServer } from '../support/server-harness.js';
import { delay, waitFor } from '../support/wait.js';

afterEach(closeAll);

/** A bare WebSocket client that says hello, subscribes, and then stops reading its socket. */
async function stalledSubscriber(
  port: number,
  channel: string,
): Promise<{ socket: WebSocket; closed: Promise<{ code: number; reason: string }> }> {
  const socket = closeAfterTest(new WebSocket(`ws://127.0.0.1:${port}/pushwire/ws`), (stalled) => stalled.terminate());
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const subscribed = new Promise<void>((resolve) => {
    socket.on('message', (data) => {
      if (String(data).startsWith('{"t":"subd"')) resolve();
    });
  });
  socket.send(JSON.stringify({ t: 'hello', v: 1 }));
  socket.send(JSON.stringify({ t: 'sub', s: 1, ch: channel }));
  await subscribed;
  // Stop reading: the kernel buffers fill, then the server's writes pile up in `bufferedAmount`.
  (socket as unknown as { _socket: { pause(): void } })._socket.pause();
  return { socket, closed };
}

/**
 * Publishes in small batches, letting I/O run in between as a real server's event loop would; stops
 * early after a batch once `enough()` says so. Returns how many it published.
 */
async function publishPaced(target: PushwireServer, total: number, payload: string, enough = (): boolean => false): Promise<number> {
  for (let i = 1; i <= total; i++) {
    await target.publish('feed', { i, payload });
    if (i % 10 !== 0) continue;
    await new Promise((resolve) => setImmediate(resolve));
    if (enough()) return i;
  }
  return total;
}

describe('a connection that does not drain its writes', () => {
  it('is evicted as a slow consumer (close 4002) after the stall bound, while a healthy subscriber gets every message', async () => {
    const ended: SessionEndReason[] = [];
    const server = await startTestServer({
      // The outbound buffer is large here, so that it is the drain rule, not an overflow, that acts.
      outbound: { maxFrames: 100_000, maxBytes: 256 * 1024 * 1024 },
      // A stall time with room for a healthy client on a busy machine; the stalled one never drains.
      slowConsumer: { maxPendingBytes: 256 * 1024, maxStallTime: 1_000 },
      onClose: (_session, reason) => ended.push(reason),
    });
    const stalled = await stalledSubscriber(server.port, 'feed');
    const client = connectClient(server.url);
    let received = 0;
    let inOrder = true;
    await new Promise<void>((resolve) =>
      client.subscribe<{ i: number }>('feed', { onMessage: (data) => (inOrder &&= data.i === ++received), onSubscribed: () => resolve() }),
    );

    const payload = 'x'.repeat(16 * 1024);
    const total = 1_500; // ~24 MB: more than loopback socket buffers absorb
    await publishPaced(server.pushwire, total, payload);

    await waitFor(() => ended.includes('evicted'), 'the stalled session to be evicted', 10_000);
    expect(server.pushwire.stats().sessions).toBe(1); // only the healthy one is left
    await waitFor(() => received === total, 'the healthy subscriber to receive everything', 20_000);
    expect(inOrder).toBe(true);

    // Once it reads again, the stalled client learns why it was cut loose.
    (stalled.socket as unknown as { _socket: { resume(): void } })._socket.resume();
    const { code, reason } = await stalled.closed;
    expect(code).toBe(4002);
    expect(reason).toMatch(/slow consumer/);
  });

  it('is left alone when its backlog drains within the stall bound', async () => {
    const ended: SessionEndReason[] = [];
    const maxPendingBytes = 256 * 1024;
    const server = await startTestServer({
      outbound: { maxFrames: 100_000, maxBytes: 256 * 1024 * 1024 },
      slowConsumer: { maxPendingBytes, maxStallTime: 2_000 },
      onClose: (_session, reason) => ended.push(reason),
    });
    // The server's end of the stalled client's TCP connection: its unflushed bytes are the backlog the guard watches.
    const serverSockets: Socket[] = [];
    server.http.on('connection', (socket: Socket) => serverSockets.push(socket));
    const stalled = await stalledSubscriber(server.port, 'feed');
    let messages = 0;
    stalled.socket.on('message', (data) => {
      if (String(data).startsWith('{"t":"m"')) messages++;
    });
    // The stall clock starts when the backlog crosses the bound, not when publishing ends (which on a busy
    // machine takes longer than the bound): publish only until it is over, then read again at once.
    const published = await publishPaced(server.pushwire, 5_000, 'x'.repeat(16 * 1024), () =>
      serverSockets.some((socket) => socket.writableLength > maxPendingBytes),
    );
    expect(published).toBeLessThan(5_000); // the backlog did cross the bound
    (stalled.socket as unknown as { _socket: { resume(): void } })._socket.resume();
    await delay(2_500);
    expect(ended).toEqual([]);
    expect(server.pushwire.stats().sessions).toBe(1);
    expect(messages).toBe(published);
  });
});

describe.each([
  ['websocket', TRANSPORTS.websocket],
  ['sse', TRANSPORTS.sse],
  ['long-polling', TRANSPORTS['long-polling']],
] as const)('a slow client on %s cut loose', (_name, transport) => {
  it('comes back with a new session and recovers every channel from history: nothing lost, nothing twice', async () => {
    const ended: SessionEndReason[] = [];
    const server = await startTestServer({
      outbound: { maxFrames: 100_000, maxBytes: 256 * 1024 * 1024 },
      slowConsumer: { maxPendingBytes: 256 * 1024, maxStallTime: 300 },
      history: { size: 10_000 },
      onClose: (_session, reason) => ended.push(reason),
    });
    const proxy = closeAfterTest(new FaultProxy(server.port, { cutAfter: null, stallChance: 0, delay: [0, 0] }));
    const port = await proxy.listen();
    const client = connectClient(`http://127.0.0.1:${port}/pushwire`, { transports: [transport] });
    const opens: boolean[] = [];
    client.on('open', ({ resumed }) => opens.push(resumed));
    const statuses: string[] = [];
    let received = 0;
    let inOrder = true;
    await new Promise<void>((resolve) =>
      client.subscribe<{ i: number }>('feed', {
        onMessage: (data) => (inOrder &&= data.i === ++received),
        onSubscribed: (info) => {
          statuses.push(info.status);
          resolve();
        },
      }),
    );
    await waitForOpen(client);

    // The network slows to a crawl: every chunk waits 1.5 s, so the server's writes back up.
    proxy.setFaults({ cutAfter: null, stallChance: 0, delay: [1_500, 1_500] });
    const total = 1_500;
    await publishPaced(server.pushwire, total, 'x'.repeat(16 * 1024));
    await waitFor(() => ended.includes('evicted'), 'the slow session to be evicted', 10_000);
    // Published while the client has no session: only history has these.
    for (let i = total + 1; i <= total + 100; i++) await server.pushwire.publish('feed', { i, payload: '' });
    proxy.setFaults({ cutAfter: null, stallChance: 0, delay: [0, 0] });

    await waitFor(() => received === total + 100, `all ${total + 100} messages`, 20_000);
    expect(inOrder).toBe(true);
    // The first session, then new ones: the evicted one is gone. (Catching up through a tight drain
    // bound may get a new session evicted too; each one takes the client further, from its position.)
    expect(opens.length).toBeGreaterThanOrEqual(2);
    expect(opens.every((resumed) => !resumed)).toBe(true);
    expect(statuses[0]).toBe('new');
    expect(statuses.slice(1).every((status) => status === 'recovered')).toBe(true);
  });
});
