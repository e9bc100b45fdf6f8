import { describe, expect, it, vi } from 'vitest';
import type { OpenInfo } from '../../../src/client/index.js';
import { useFakeClient } from '../fakes/index.js';

// A `welcome` with `resync`: the session went on on another server node (docs/PROTOCOL.md, "Cluster").

const start = useFakeClient();

describe('a session that moved to another server node (welcome with resync)', () => {
  it('keeps its unacknowledged frames and resends them, joins presence and subscribes again from its positions, counts frames afresh', async () => {
    const { client, last } = await start();
    const opens: OpenInfo[] = [];
    client.on('open', (info) => opens.push(info));
    const got: unknown[] = [];
    client.subscribe('news', { onMessage: (data) => got.push(data) });
    await last().welcome({ sid: 'S' });
    void client.joinPresence('room', { name: 'ana' });
    last().receive({ t: 'subd', s: 1, ch: 'news', e: 'E', q: 4, h: 4, st: 'new' });
    last().receive({ t: 'm', ch: 'news', e: 'E', q: 5, d: 'five' });
    last().receive({ t: 'ack', s: 2 });
    let published = false;
    let failure: unknown;
    client.publish('news', 'unacked').then(
      () => (published = true),
      (error: unknown) => (failure = error),
    );
    expect(last().framesOf('pub')).toEqual([{ s: 3, t: 'pub', ch: 'news', d: 'unacked' }]);

    last().drop();
    await vi.advanceTimersByTimeAsync(1_000);
    await last().welcome({ sid: 'S', resumed: true, resync: true, rx: 0 });

    // The pending publish goes again with its own number; presence and the subscription follow it.
    expect(last().frames.filter((frame) => frame.t !== 'hello')).toEqual([
      { s: 3, t: 'pub', ch: 'news', d: 'unacked' },
      { s: 4, t: 'join', ch: 'room', meta: { name: 'ana' } },
      { s: 5, t: 'sub', ch: 'news', from: ['E', 5] },
    ]);
    last().receive({ t: 'ack', s: 3 });
    await vi.advanceTimersByTimeAsync(0);
    expect(published).toBe(true);
    expect(failure).toBeUndefined();
    expect(opens.map(({ resumed, moved }) => ({ resumed, moved }))).toEqual([
      { resumed: false, moved: false },
      { resumed: true, moved: true },
    ]);

    // Frames are counted from the new node's rx: its first reliable frame is number 1.
    last().receive({ t: 'subd', s: 5, ch: 'news', e: 'E', q: 5, h: 6, st: 'recovered' });
    last().receive({ t: 'm', ch: 'news', e: 'E', q: 6, d: 'six' });
    last().receive({ t: 'ping' });
    expect(last().framesOf('pong')).toEqual([{ t: 'pong', n: 2 }]);
    expect(got).toEqual(['five', 'six']);
  });

  it('ignores the confirmation of a subscription sent before the move: only the new one from its position counts', async () => {
    const { client, last } = await start();
    const got: unknown[] = [];
    client.subscribe('news', { onMessage: (data) => got.push(data) });
    await last().welcome({ sid: 'S' });
    // The first `sub` was never confirmed when the connection dropped.
    last().drop();
    await vi.advanceTimersByTimeAsync(1_000);
    await last().welcome({ sid: 'S', resumed: true, resync: true });
    const subs = last().framesOf('sub');
    expect(subs.map((frame) => frame.s)).toEqual([1, 2]);
    last().receive({ t: 'subd', s: 1, ch: 'news', e: 'E', q: 0, h: 3, st: 'new' });
    last().receive({ t: 'm', ch: 'news', e: 'E', q: 1, d: 'stale' });
    last().receive({ t: 'subd', s: 2, ch: 'news', e: 'E', q: 0, h: 0, st: 'new' });
    last().receive({ t: 'm', ch: 'news', e: 'E', q: 1, d: 'live' });
    expect(got).toEqual(['live']);
  });
});
