import { describe, expect, it } from 'vitest';
import type { PushwireError } from '../../../src/client/errors.js';
import { advance, record, settle, track, useMockServer } from '../fakes/index.js';

const mock = useMockServer();

describe('publish() settles on the server answer', () => {
  it('resolves every publish up to a cumulative ack, and no later one', async () => {
    const client = await mock.open();
    const p = [1, 2, 3].map((d) => track(client.publish('news', d)));
    await settle();
    expect(mock.last.sent('pub').map((f) => f.s)).toEqual([1, 2, 3]);

    mock.last.send({ t: 'ack', s: 2 });
    await settle();
    expect(p.map((o) => o.status)).toEqual(['resolved', 'resolved', 'pending']);
    mock.last.send({ t: 'ack', s: 3 });
    await settle();
    expect(p[2]!.status).toBe('resolved');
  });

  it('rejects the publish an err answers (err comes before the ack covering it) and resolves the others', async () => {
    const client = await mock.open();
    const errors = record<PushwireError>((l) => client.on('error', l));
    const p = [1, 2, 3].map((d) => track(client.publish('news', d)));
    await settle();
    mock.last.send({ t: 'err', s: 2, code: 'forbidden', msg: 'no publishing here', ch: 'news' });
    mock.last.send({ t: 'ack', s: 3 });
    await settle();
    expect(p.map((o) => o.status)).toEqual(['resolved', 'rejected', 'resolved']);
    expect(p[1]!.error).toMatchObject({ name: 'PushwireError', code: 'forbidden', message: 'no publishing here' });
    expect(errors).toEqual([]); // answered errors go to their promise, not to the error event
  });

  it('reports an err that answers no pending frame on the error event', async () => {
    const client = await mock.open();
    const errors = record<PushwireError>((l) => client.on('error', l));
    mock.last.send({ t: 'err', code: 'rate_limited', msg: 'slow down' });
    await settle();
    expect(errors.map((e) => e.code)).toEqual(['rate_limited']);
  });

  it('resolves send() on the ack and rejects it on err, like publish', async () => {
    const client = await mock.open();
    const ok = track(client.send('a'));
    const refused = track(client.send('b'));
    await settle();
    mock.last.send({ t: 'err', s: 2, code: 'no_handler', msg: 'no onMessage hook' });
    mock.last.send({ t: 'ack', s: 2 });
    await settle();
    expect(ok.status).toBe('resolved');
    expect(refused.error).toMatchObject({ code: 'no_handler' });
  });
});

describe('sends the client refuses locally', () => {
  it('rejects a publish over the server max payload with too_large, sends nothing and keeps numbering', async () => {
    const client = await mock.open({}, { max: 100 });
    const tooBig = track(client.publish('news', 'x'.repeat(100)));
    await settle();
    expect(tooBig.error).toMatchObject({ code: 'too_large' });
    expect(mock.last.sent('pub')).toEqual([]);

    track(client.publish('news', 'small'));
    await settle();
    expect(mock.last.sent('pub')).toEqual([{ t: 'pub', s: 1, ch: 'news', d: 'small' }]);
  });

  it('uses the maxPayload option before the server has said its limit', async () => {
    const client = mock.connect({ maxPayload: 50 });
    const tooBig = track(client.publish('news', 'y'.repeat(50)));
    await settle();
    expect(tooBig.error).toMatchObject({ code: 'too_large' });
  });

  it('rejects with queue_full at the frame bound, and accepts again once acks free room', async () => {
    const client = await mock.open({ queue: { maxFrames: 2 } });
    const p = [1, 2, 3].map((d) => track(client.publish('news', d)));
    await settle();
    expect(p.map((o) => o.status)).toEqual(['pending', 'pending', 'rejected']);
    expect(p[2]!.error).toMatchObject({ code: 'queue_full' });
    expect(mock.last.sent('pub').map((f) => f.d)).toEqual([1, 2]);

    mock.last.send({ t: 'ack', s: 1 });
    await settle();
    track(client.publish('news', 4));
    await settle();
    expect(mock.last.sent('pub').map((f) => [f.s, f.d])).toEqual([
      [1, 1],
      [2, 2],
      [3, 4],
    ]);
  });

  it('rejects with queue_full at the byte bound while offline', async () => {
    const client = mock.connect({ queue: { maxFrames: 100, maxBytes: 120 } });
    // {"s":1,"t":"pub","ch":"news","d":"…40…"} is 76 bytes: one fits, two do not.
    const first = track(client.publish('news', 'z'.repeat(40)));
    const second = track(client.publish('news', 'z'.repeat(40)));
    await settle();
    expect(first.status).toBe('pending');
    expect(second.error).toMatchObject({ code: 'queue_full' });
  });

  it('does not count subscriptions against the queue bound', async () => {
    const client = await mock.open({ queue: { maxFrames: 1 } });
    for (const ch of ['a', 'b', 'c']) client.subscribe(ch, () => {});
    const p = track(client.publish('news', 1));
    await settle();
    expect(p.status).toBe('pending');
    expect(mock.last.sent('sub')).toHaveLength(3);
  });

  it('rejects an invalid channel name with a TypeError before queueing', async () => {
    const client = await mock.open();
    await expect(client.publish('has space', 1)).rejects.toThrow(TypeError);
    expect(() => client.subscribe('', () => {})).toThrow(TypeError);
    await advance(10);
    expect(mock.last.frames.filter((f) => f.s !== undefined)).toEqual([]);
  });
});
