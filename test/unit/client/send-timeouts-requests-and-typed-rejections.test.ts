import { describe, expect, it, vi } from 'vitest';
import type { PushwireError } from '../../../src/client/index.js';
import { useFakeClient } from '../fakes/index.js';

const start = useFakeClient();

/** Settles a promise into what happened to it, without unhandled rejections. */
function outcome<T>(promise: Promise<T>): { value?: T; error?: PushwireError; settled: boolean } {
  const result: { value?: T; error?: PushwireError; settled: boolean } = { settled: false };
  promise.then(
    (value) => Object.assign(result, { value, settled: true }),
    (error: PushwireError) => Object.assign(result, { error, settled: true }),
  );
  return result;
}

describe('publish/send with an ack timeout', () => {
  it('withdraws a frame that was never sent when its timeout expires: it is not sent after the connection opens', async () => {
    const { client, last } = await start();
    const result = outcome(client.publish('news', 'offline', { timeout: 100 }));
    await vi.advanceTimersByTimeAsync(100);
    expect(result.error?.code).toBe('timeout');
    expect(result.error?.message).toMatch(/never sent/);
    await last().welcome();
    expect(last().framesOf('pub')).toEqual([]);
  });

  it('rejects a frame already sent with timeout but keeps it: it is resent after a reconnect, once', async () => {
    const { client, last, pipes } = await start();
    await last().welcome();
    const result = outcome(client.publish('news', 'hello', { timeout: 100 }));
    expect(last().framesOf('pub')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(result.error?.code).toBe('timeout');
    expect(result.error?.message).toMatch(/may still be handled/);

    last().drop();
    await vi.advanceTimersByTimeAsync(1_000); // backoff
    expect(pipes).toHaveLength(2);
    await last().welcome({ resumed: true });
    expect(last().framesOf('pub')).toEqual([{ s: 1, t: 'pub', ch: 'news', d: 'hello' }]);
    last().receive({ t: 'ack', s: 1 }); // the late ack settles nothing twice
    expect(result.error?.code).toBe('timeout');
  });

  it('uses the ackTimeout option as the default, and clears the timer when the ack comes first', async () => {
    const { client, last } = await start({ ackTimeout: 500 });
    await last().welcome();
    const acked = outcome(client.send('a'));
    const late = outcome(client.send('b'));
    last().receive({ t: 'ack', s: 1 });
    await vi.advanceTimersByTimeAsync(0);
    expect(acked.settled && acked.error === undefined).toBe(true);
    await vi.advanceTimersByTimeAsync(500);
    expect(late.error?.code).toBe('timeout');
  });

  it('without a timeout, waits across reconnects and rejects only when the session is lost', async () => {
    const { client, last } = await start();
    await last().welcome({ sid: 'first' });
    const result = outcome(client.publish('news', 1));
    last().drop();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(result.settled).toBe(false);
    await last().welcome({ sid: 'first', resumed: true });
    last().drop();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(result.settled).toBe(false);
    await last().welcome({ sid: 'second', resumed: false });
    await vi.advanceTimersByTimeAsync(0);
    expect(result.error?.code).toBe('session_lost');
  });
});

describe('request()', () => {
  it('resolves with the answer of the res frame for its sequence number, in any order', async () => {
    const { client, last } = await start();
    await last().welcome();
    const first = outcome(client.request<number>({ q: 1 }));
    const second = outcome(client.request<number>({ q: 2 }));
    expect(last().framesOf('req')).toEqual([
      { s: 1, t: 'req', d: { q: 1 } },
      { s: 2, t: 'req', d: { q: 2 } },
    ]);
    last().receive({ t: 'res', s: 2, d: 'two' });
    last().receive({ t: 'res', s: 1, d: 'one' });
    last().receive({ t: 'ack', s: 2 });
    await vi.advanceTimersByTimeAsync(0);
    expect([first.value, second.value]).toEqual(['one', 'two']);
  });

  it('rejects with timeout after requestTimeout (default 10 s) and ignores a late answer', async () => {
    const { client, last } = await start();
    await last().welcome();
    const result = outcome(client.request('slow'));
    await vi.advanceTimersByTimeAsync(9_999);
    expect(result.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(result.error?.code).toBe('timeout');
    last().receive({ t: 'res', s: 1, d: 'late' });
    last().receive({ t: 'ack', s: 1 });
    expect(result.error?.code).toBe('timeout');
  });

  it('rejects with the server error code of an err frame for it', async () => {
    const { client, last } = await start();
    await last().welcome();
    const result = outcome(client.request('x'));
    last().receive({ t: 'err', s: 1, code: 'no_handler', msg: 'no onRequest hook' });
    await vi.advanceTimersByTimeAsync(0);
    expect(result.error?.code).toBe('no_handler');
  });

  it('resolves with an answer replayed after a reconnect', async () => {
    const { client, last } = await start();
    await last().welcome();
    const result = outcome(client.request('kept', { timeout: 0 }));
    last().drop();
    await vi.advanceTimersByTimeAsync(1_000);
    await last().welcome({ resumed: true });
    last().receive({ t: 'res', s: 1, d: 'answer' });
    await vi.advanceTimersByTimeAsync(0);
    expect(result.value).toBe('answer');
  });

  it('rejects when the server acknowledges a request without answering it (a broken server)', async () => {
    const { client, last } = await start();
    await last().welcome();
    const result = outcome(client.request('x'));
    last().receive({ t: 'ack', s: 1 });
    await vi.advanceTimersByTimeAsync(0);
    expect(result.error?.code).toBe('internal');
  });
});

describe('typed rejections and bounds', () => {
  it('too_large: over the max payload, refused at once without using a sequence number', async () => {
    const { client, last } = await start({ maxPayload: 100 });
    const big = outcome(client.publish('news', 'x'.repeat(200)));
    await vi.advanceTimersByTimeAsync(0);
    expect(big.error?.code).toBe('too_large');
    client.publish('news', 'ok').catch(() => {});
    await last().welcome();
    expect(last().framesOf('pub')).toEqual([{ s: 1, t: 'pub', ch: 'news', d: 'ok' }]);
  });

  it('queue_full: the offline queue is bounded by count and by bytes', async () => {
    const { client } = await start({ queue: { maxFrames: 2, maxBytes: 1_000 } });
    const results = [client.send(1), client.send(2), client.send(3)].map(outcome);
    await vi.advanceTimersByTimeAsync(0);
    expect(results.map((r) => r.error?.code)).toEqual([undefined, undefined, 'queue_full']);
    client.close();

    const bytes = (await start({ queue: { maxFrames: 100, maxBytes: 120 } })).client;
    const byBytes = [bytes.send('x'.repeat(50)), bytes.send('x'.repeat(50))].map(outcome);
    await vi.advanceTimersByTimeAsync(0);
    expect(byBytes.map((r) => r.error?.code)).toEqual([undefined, 'queue_full']);
  });

  it('closed: waiting sends and requests reject with closed, and no timer is left behind', async () => {
    const { client, last } = await start({ ackTimeout: 5_000 });
    await last().welcome();
    const results = [client.publish('news', 1), client.request('q'), client.send('m')].map(outcome);
    client.close();
    await vi.advanceTimersByTimeAsync(0);
    expect(results.map((r) => r.error?.code)).toEqual(['closed', 'closed', 'closed']);
    expect(vi.getTimerCount()).toBe(0);
    expect(outcome(client.request('after')).settled).toBe(false); // settles on the next tick
    await vi.advanceTimersByTimeAsync(0);
  });
});
