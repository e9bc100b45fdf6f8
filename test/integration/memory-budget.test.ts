import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { closeAfterTest, closeAll } from '../support/close-after-test.js';
import { startTestServer } from '../support/server-harness.js';
import { delay, waitFor } from '../support/wait.js';

afterEach(closeAll);

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Heap and buffers in use after a full collection. */
function memoryInUse(): number {
  collectGarbage();
  collectGarbage();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

interface BareSession {
  socket: WebSocket;
  /** Frames received, parsed. */
  frames: Array<{ t: string; [key: string]: unknown }>;
  closed: Promise<{ code: number; reason: string }>;
}

/** A bare WebSocket session: says hello, reads every frame, and never sends a receipt. */
async function bareSession(port: number): Promise<BareSession> {
  const socket = closeAfterTest(new WebSocket(`ws://127.0.0.1:${port}/pushwire/ws`), (open) => open.terminate());
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const session: BareSession = { socket, frames: [], closed };
  socket.on('message', (data) => {
    const text = String(data);
    // Channel messages are only counted (their payload is large and the test holds no copy of it).
    session.frames.push(text.startsWith('{"t":"m"') ? { t: 'm' } : (JSON.parse(text) as { t: string }));
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ t: 'hello', v: 1 }));
  await waitFor(() => session.frames.some((frame) => frame.t === 'welcome'), 'the welcome', 5_000);
  return session;
}

const count = (session: BareSession, type: string): number => session.frames.filter((frame) => frame.t === type).length;

describe('rewind replays (finding 8)', () => {
  it('share one frame per message among every session holding it (counted once), and a session whose receipts never advance is evicted with 4002', async () => {
    const messages = 1_000;
    const sessions = 40;
    const server = await startTestServer({
      history: { size: messages },
      // Room for the whole rewind (a replay may take half the buffer).
      outbound: { maxBytes: 8 * 1024 * 1024 },
      slowConsumer: { maxPendingBytes: 1024 * 1024, maxReceiptStall: 6_000 },
    });
    for (let i = 1; i <= messages; i++) await server.pushwire.publish('feed', { i, p: 'x'.repeat(2_000) });
    const before = memoryInUse();

    const readers = await Promise.all(Array.from({ length: sessions }, () => bareSession(server.port)));
    for (const reader of readers) reader.socket.send(JSON.stringify({ t: 'sub', s: 1, ch: 'feed', rewind: messages }));
    await waitFor(() => readers.every((reader) => count(reader, 'm') === messages), `${sessions} rewinds of ${messages} messages`, 30_000);
    const held = server.pushwire.stats();
    const during = memoryInUse();

    expect(held.sessions).toBe(sessions);
    // The heap holds one frame per message: a copy per session would be 40 × 2 MB of text, twice over with encodings.
    expect(during - before, `heap grew by ${Math.round((during - before) / 2 ** 20)} MiB`).toBeLessThan(20 * 2 ** 20);
    const oneCopy = messages * 2_050;
    // Each session counts what it holds on its own: the whole replay…
    expect(held.memory.sessions).toBeGreaterThan(sessions * oneCopy);
    // …but the process counts one frame per message, whoever holds it.
    expect(held.memory.bytes).toBeLessThan(1.5 * oneCopy);

    // They read everything and acknowledge nothing: evicted once their receipts stall for maxReceiptStall.
    const closes = await Promise.race([Promise.all(readers.map((reader) => reader.closed)), delay(20_000).then(() => [])]);
    expect(closes).toHaveLength(sessions);
    for (const close of closes) {
      expect(close.code).toBe(4002);
      expect(close.reason).toMatch(/receipts did not advance/);
    }
    expect(server.pushwire.stats().counters.sessionsEnded.evicted).toBe(sessions);
    expect(server.pushwire.stats().memory.bytes).toBe(0);
  });
});

describe("a session's inbox (finding 9)", () => {
  it('is bounded in bytes: frames past memory.inboxBytes are refused in order with limit_exceeded, every frame handled or refused exactly once', async () => {
    const inboxBytes = 1024 * 1024;
    const handled: number[] = [];
    let peakInbox = 0;
    const server = await startTestServer({
      memory: { inboxBytes },
      // The byte rate limit (default bursts of 4 MiB) would refuse part of these 9 MB first.
      limits: { bytesPerSecond: 64 * 1024 * 1024, byteBurst: 64 * 1024 * 1024 },
      onMessage: async (_session, data) => {
        const memory: { inbox: number } | undefined = server.pushwire.stats().memory;
        peakInbox = Math.max(peakInbox, memory?.inbox ?? 0);
        handled.push((data as { i: number }).i);
        await delay(20);
      },
    });
    const client = await bareSession(server.port);
    const total = 150; // 60 KB each: 9 MB, sent at once (under the rate limits' bursts set above)
    const payload = 'y'.repeat(60_000);
    for (let i = 1; i <= total; i++) client.socket.send(JSON.stringify({ t: 'msg', s: i, d: { i, payload } }));
    await waitFor(() => client.frames.some((frame) => frame.t === 'ack' && frame.s === total), 'the ack of every frame', 30_000);

    const refused = client.frames
      .filter((frame) => frame.t === 'err')
      .map((frame) => {
        expect(frame.code).toBe('limit_exceeded');
        return frame.s as number;
      });
    expect(refused.length).toBeGreaterThan(0);
    expect([...handled, ...refused].sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, index) => index + 1));
    expect(peakInbox).toBeGreaterThan(0);
    expect(peakInbox).toBeLessThanOrEqual(inboxBytes);
    expect(server.pushwire.stats().counters.limitHits.inbox_bytes).toBe(refused.length);
    expect(server.pushwire.stats().memory.inbox).toBe(0);
  });
});

describe('the memory budget of one client address', () => {
  it('refuses new sessions from the address at 90% (4005), and past the budget evicts its largest session (4002)', async () => {
    const addressBytes = 300_000;
    const server = await startTestServer({ memory: { addressBytes } });
    const memory = () => server.pushwire.stats().memory;
    // A session that subscribes and goes away: what it is sent waits for it, unacknowledged.
    const away = await bareSession(server.port);
    away.socket.send(JSON.stringify({ t: 'sub', s: 1, ch: 'feed' }));
    await waitFor(() => count(away, 'subd') === 1, 'the subscription', 5_000);
    const small = await bareSession(server.port);
    away.socket.terminate();
    await waitFor(() => server.pushwire.stats().connected === 1, 'the away session to lose its connection', 5_000);

    let published = 0;
    // One message per turn of the event loop, as a server's publishes come (the shedding runs at a tick's end).
    const publishOne = async (): Promise<void> => {
      published++;
      await server.pushwire.publish('feed', { n: published, p: 'z'.repeat(1_000) });
      await new Promise((resolve) => setImmediate(resolve));
    };
    while (memory().bytes < 0.9 * addressBytes && published < 1_000) await publishOne();
    expect(memory().bytes).toBeLessThan(addressBytes);
    const refused = await new Promise<{ code: number }>((resolve) => {
      const socket = closeAfterTest(new WebSocket(`ws://127.0.0.1:${server.port}/pushwire/ws`), (open) => open.terminate());
      socket.on('open', () => socket.send(JSON.stringify({ t: 'hello', v: 1 })));
      socket.on('close', (code) => resolve({ code }));
    });
    expect(refused.code).toBe(4005);
    expect(server.pushwire.stats().counters.limitHits.address_bytes).toBe(1);
    expect(server.pushwire.stats().counters.sessionsEnded.evicted).toBe(0);

    while (server.pushwire.stats().counters.sessionsEnded.evicted === 0 && published < 1_000) await publishOne();
    expect(server.pushwire.stats().sessions).toBe(1); // the away session went; the small one stays
    expect(small.socket.readyState).toBe(WebSocket.OPEN);
    expect(memory().bytes).toBeLessThan(0.9 * addressBytes);
    await bareSession(server.port); // welcome again
  });
});
