import { describe, expect, it, vi } from 'vitest';
import { longPolling, sse, websocket } from '../../../src/client/index.js';
import { useFakeClient } from '../fakes/index.js';

const start = useFakeClient();

/** The server side sends `count` direct messages (reliable frames) on the pipe. */
function sendMessages(pipe: { receive(frame: Record<string, unknown>): void }, count: number): void {
  for (let i = 0; i < count; i++) pipe.receive({ t: 'msg', d: i });
}

/** The server sends `count` channel messages (reliable frames it holds once for every subscriber). */
function sendChannelMessages(pipe: { receive(frame: Record<string, unknown>): void }, count: number): void {
  for (let i = 0; i < count; i++) pipe.receive({ t: 'm', ch: 'news', e: 'E', q: i + 1, d: i });
}

describe('receipts are paced by the transport in use', () => {
  it('with the default pacing (WebSocket): a receipt after 128 frames, or about 1 s after the first uncovered one', async () => {
    const { last } = await start();
    await last().welcome();
    sendMessages(last(), 127);
    expect(last().framesOf('ack')).toEqual([]);
    sendMessages(last(), 1);
    expect(last().framesOf('ack')).toEqual([{ t: 'ack', n: 128 }]);
    sendMessages(last(), 3);
    await vi.advanceTimersByTimeAsync(1000); // random 0.5 → 1 × 1000 ms
    expect(last().framesOf('ack')).toEqual([
      { t: 'ack', n: 128 },
      { t: 'ack', n: 131 },
    ]);
  });

  it('channel messages start no timer: a receipt after 128 of them, or with the pong to the server’s ping', async () => {
    const { last, client } = await start();
    client.subscribe('news', { onMessage: () => {} });
    await last().welcome();
    last().receive({ t: 'subd', s: 1, ch: 'news', e: 'E', q: 0, h: 0, st: 'new' });
    await vi.advanceTimersByTimeAsync(1000); // the subd's receipt
    expect(last().framesOf('ack')).toEqual([{ t: 'ack', n: 1 }]);
    sendChannelMessages(last(), 20);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(last().framesOf('ack')).toEqual([{ t: 'ack', n: 1 }]);
    last().receive({ t: 'ping' }); // the heartbeat, or the server asking (SC6)
    expect(last().framesOf('pong')).toEqual([{ t: 'pong', n: 21 }]);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(last().framesOf('ack')).toEqual([{ t: 'ack', n: 1 }]);
  });

  it('where each receipt is an HTTP request (every 512 frames or ~3 s): none at 128 frames nor after 1.5 s, one at 512, then one 3 s after', async () => {
    const { last } = await start({ receipts: { every: 512, delay: 3000 } });
    await last().welcome();
    sendMessages(last(), 200);
    await vi.advanceTimersByTimeAsync(1500);
    expect(last().framesOf('ack')).toEqual([]);
    sendMessages(last(), 312);
    expect(last().framesOf('ack')).toEqual([{ t: 'ack', n: 512 }]);
    sendMessages(last(), 1);
    await vi.advanceTimersByTimeAsync(2999);
    expect(last().framesOf('ack')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(last().framesOf('ack')).toEqual([
      { t: 'ack', n: 512 },
      { t: 'ack', n: 513 },
    ]);
  });

  it('SSE and long-polling (a POST per receipt) declare the spaced pacing; WebSocket keeps the default', () => {
    expect(sse.receipts).toEqual({ every: 512, delay: 3000 });
    expect(longPolling.receipts).toEqual({ every: 512, delay: 3000 });
    expect(websocket.receipts).toBeUndefined();
  });
});
