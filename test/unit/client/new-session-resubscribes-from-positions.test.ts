import { describe, expect, it } from 'vitest';
import type { OpenInfo, SubscribedInfo } from '../../../src/client/index.js';
import { advance, record, settle, track, useMockServer } from '../fakes/index.js';

const mock = useMockServer();
const reconnect = { min: 1000, max: 1000 };
const half = (): number => 0.5;

describe('a resume that gets a new session (resumed:false)', () => {
  async function clientWithHistory() {
    const client = await mock.open({ reconnect, random: half });
    const a = record<unknown>((l) => client.subscribe('a', { onMessage: l }));
    client.subscribe('b', () => {});
    await settle();
    mock.last.send({ t: 'subd', ch: 'a', e: 'EA', q: 0, h: 0, st: 'new' });
    mock.last.send({ t: 'subd', ch: 'b', e: 'EB', q: 7, h: 7, st: 'new' });
    for (let q = 1; q <= 5; q++) mock.last.send({ t: 'm', ch: 'a', e: 'EA', q, d: q });
    mock.last.send({ t: 'ack', s: 2 });
    await settle();
    expect(a).toEqual([1, 2, 3, 4, 5]);
    return { client, a };
  }

  it('re-subscribes every channel with from = its position, numbered from 1 in the new session', async () => {
    const { client } = await clientWithHistory();
    const opens = record<OpenInfo>((l) => client.on('open', l));
    mock.last.close(1006);
    await advance(500);
    expect(mock.last.frames[0]).toMatchObject({ t: 'hello', sid: 'sid-1', rx: 7 });
    mock.last.welcome({ sid: 'sid-2', secret: 'secret-2', resumed: false });
    await settle();

    expect(opens).toEqual([{ resumed: false, moved: false, transport: 'websocket' }]);
    expect(client.sessionId).toBe('sid-2');
    expect(mock.last.frames.slice(1)).toEqual([
      { t: 'sub', s: 1, ch: 'a', from: ['EA', 5] },
      { t: 'sub', s: 2, ch: 'b', from: ['EB', 7] },
    ]);
  });

  it('rejects publishes already sent in the old session with session_lost, keeps unsent ones', async () => {
    const { client } = await clientWithHistory();
    const sent = track(client.publish('a', 'maybe handled'));
    const direct = track(client.send('maybe handled too'));
    await settle();
    mock.last.close(1006);
    await settle();
    const unsent = track(client.publish('a', 'offline'));
    await advance(500);
    mock.last.welcome({ sid: 'sid-2', secret: 'secret-2', resumed: false });
    await settle();

    expect(sent.error).toMatchObject({ code: 'session_lost' });
    expect(direct.error).toMatchObject({ code: 'session_lost' });
    expect(unsent.status).toBe('pending');
    expect(mock.last.frames.slice(1)).toEqual([
      { t: 'sub', s: 1, ch: 'a', from: ['EA', 5] },
      { t: 'sub', s: 2, ch: 'b', from: ['EB', 7] },
      { t: 'pub', s: 3, ch: 'a', d: 'offline' },
    ]);
    mock.last.send({ t: 'ack', s: 3 });
    await settle();
    expect(unsent.status).toBe('resolved');
  });

  it('continues delivery after the recovered subd, without duplicates', async () => {
    const { a } = await clientWithHistory();
    mock.last.close(1006);
    await advance(500);
    mock.last.welcome({ sid: 'sid-2', secret: 'secret-2', resumed: false });
    mock.last.send({ t: 'subd', ch: 'a', e: 'EA', q: 5, h: 8, st: 'recovered' });
    for (let q = 4; q <= 8; q++) mock.last.send({ t: 'm', ch: 'a', e: 'EA', q, d: q });
    await settle();
    expect(a).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('subscribes a channel that never got its subd plainly (no position yet), and drops what was unsubscribed', async () => {
    const client = await mock.open({ reconnect, random: half });
    client.subscribe('fresh', () => {}, { rewind: 10 });
    const gone = client.subscribe('gone', () => {});
    await settle();
    mock.last.close(1006);
    await settle();
    const left = track(gone.unsubscribe());
    await advance(500);
    mock.last.welcome({ sid: 'sid-2', secret: 'secret-2', resumed: false });
    await settle();
    expect(mock.last.frames.slice(1)).toEqual([{ t: 'sub', s: 1, ch: 'fresh', rewind: 10 }]);
    expect(left.status).toBe('resolved');
  });

  it('counts rx from the welcome of the new session, and resumes that session next time', async () => {
    await clientWithHistory();
    mock.last.close(1006);
    await advance(500);
    mock.last.welcome({ sid: 'sid-2', secret: 'secret-2', resumed: false });
    mock.last.send({ t: 'subd', ch: 'a', e: 'EA', q: 5, h: 5, st: 'recovered' });
    await settle();
    mock.last.close(1006);
    await advance(500);
    expect(mock.last.frames[0]).toEqual({ t: 'hello', v: 1, sid: 'sid-2', secret: 'secret-2', rx: 1 });
  });

  it('treats a welcome for another session id as new even if it claims resumed', async () => {
    const { client } = await clientWithHistory();
    const opens = record<OpenInfo>((l) => client.on('open', l));
    mock.last.close(1006);
    await advance(500);
    mock.last.welcome({ sid: 'other', secret: 's', resumed: true });
    await settle();
    expect(opens).toEqual([{ resumed: false, moved: false, transport: 'websocket' }]);
    expect(mock.last.sent('sub')).toHaveLength(2);
  });

  it('on a resumed session sends no new subscriptions (the server still has them)', async () => {
    const { client } = await clientWithHistory();
    const infos = record<SubscribedInfo>((l) => client.subscribe('a', { onSubscribed: l }));
    await settle();
    mock.last.close(1006);
    await advance(500);
    mock.last.welcome({ resumed: true, rx: 7 });
    await settle();
    expect(mock.last.frames.slice(1)).toEqual([]);
    expect(infos).toHaveLength(1); // the late subscriber got the last confirmation, once
  });
});
