// @vitest-environment node
import { describe, expect, it } from 'vitest';
import type { Connection } from '../../../src/server/connection.js';
import { directFrame } from '../../../src/server/frames.js';
import { OutFrame } from '../../../src/server/out-frame.js';
import { type InboundItem, ServerSession, type SessionHost } from '../../../src/server/session.js';

type Frame = { t: string; [field: string]: unknown };

function connection(): { connection: Connection; frames: Frame[] } {
  const frames: Frame[] = [];
  return {
    frames,
    connection: { transport: 'websocket', pendingBytes: 0, send: (f) => void frames.push(JSON.parse(f.text) as Frame), close: () => {} },
  };
}

/** A host whose handler takes a turn of the event loop per frame and records the order. */
function recordingHost() {
  const handled: number[] = [];
  let active = 0;
  let maxActive = 0;
  let overflows = 0;
  const host: SessionHost = {
    handle: async (_session, item) => {
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise((resolve) => setImmediate(resolve));
      handled.push(item.s);
      active--;
    },
    overflow: () => void overflows++,
    end: () => {},
  };
  return {
    host,
    handled,
    get maxActive() {
      return maxActive;
    },
    get overflows() {
      return overflows;
    },
  };
}

/** Puts the session on `c`'s connection, forgetting the welcome it sends there. */
function attach(session: ServerSession, c: { connection: Connection; frames: Frame[] }): void {
  session.attach(c.connection, new OutFrame('{"t":"welcome"}', false), 0);
  c.frames.length = 0;
}

const msg = (s: number): InboundItem => ({ s, frame: { t: 'msg', s, d: s } });
const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('ServerSession inbox', () => {
  it('handles sequenced frames one at a time, in order', async () => {
    const rec = recordingHost();
    const session = new ServerSession('sid', 'secret', null, { maxFrames: 100, maxBytes: 1 << 20 }, rec.host);
    for (const s of [1, 2, 3, 4]) session.receive(msg(s));
    await turns(10);
    expect(rec.handled).toEqual([1, 2, 3, 4]);
    expect(rec.maxActive).toBe(1);
  });

  it('handles a frame resent after a reconnect once, and acks it again', async () => {
    const rec = recordingHost();
    const session = new ServerSession('sid', 'secret', null, { maxFrames: 100, maxBytes: 1 << 20 }, rec.host);
    const c = connection();
    const { frames } = c;
    attach(session, c);
    for (const s of [1, 2, 3]) session.receive(msg(s));
    await turns(10);
    frames.length = 0;
    for (const s of [2, 3, 4]) session.receive(msg(s)); // 2 and 3 again, then a new one
    await turns(10);
    expect(rec.handled).toEqual([1, 2, 3, 4]);
    expect(frames.filter((f) => f.t === 'ack').at(-1)).toEqual({ t: 'ack', s: 4 });
  });

  it('sends one cumulative ack per turn, not one per frame', async () => {
    const host: SessionHost = { handle: async () => {}, overflow: () => {}, end: () => {} };
    const session = new ServerSession('sid', 'secret', null, { maxFrames: 100, maxBytes: 1 << 20 }, host);
    const c = connection();
    const { frames } = c;
    attach(session, c);
    for (let s = 1; s <= 50; s++) session.receive(msg(s));
    await turns(3);
    expect(frames).toEqual([{ t: 'ack', s: 50 }]);
  });

  it('stops handling once the session has ended', async () => {
    const rec = recordingHost();
    const session = new ServerSession('sid', 'secret', null, { maxFrames: 100, maxBytes: 1 << 20 }, rec.host);
    for (const s of [1, 2, 3]) session.receive(msg(s));
    session.end();
    await turns(10);
    expect(rec.handled).toEqual([1]);
  });
});

describe('ServerSession outbound frames', () => {
  it('keeps reliable frames until acked and replays those after rx on attach, then the current ack', async () => {
    const host: SessionHost = { handle: async () => {}, overflow: () => {}, end: () => {} };
    const session = new ServerSession('sid', 'secret', null, { maxFrames: 100, maxBytes: 1 << 20 }, host);
    const first = connection();
    attach(session, first);
    session.receive(msg(1));
    await turns(3);
    for (const d of ['a', 'b', 'c']) session.send(d);
    expect(first.frames.filter((f) => f.t === 'msg').map((f) => f.d)).toEqual(['a', 'b', 'c']);

    const second = connection();
    session.attach(second.connection, new OutFrame('{"t":"welcome"}', false), 1);
    expect(second.frames).toEqual([{ t: 'welcome' }, { t: 'msg', d: 'b' }, { t: 'msg', d: 'c' }, { t: 'ack', s: 1 }]);
  });

  it('reports an overflow instead of sending past the bound', () => {
    const rec = recordingHost();
    const session = new ServerSession('sid', 'secret', null, { maxFrames: 2, maxBytes: 1 << 20 }, rec.host);
    const c = connection();
    const { frames } = c;
    attach(session, c);
    for (const d of [1, 2, 3]) session.enqueue(directFrame(String(d)));
    // (A `ping` asking for a receipt goes with them: the buffer holds a quarter of its bound, SC6.)
    expect(frames.filter((f) => f.t === 'msg').map((f) => f.d)).toEqual([1, 2]);
    expect(rec.overflows).toBe(1);
  });

  it('sends nothing once ended', () => {
    const host: SessionHost = { handle: async () => {}, overflow: () => {}, end: () => {} };
    const session = new ServerSession('sid', 'secret', null, { maxFrames: 100, maxBytes: 1 << 20 }, host);
    const c = connection();
    const { frames } = c;
    attach(session, c);
    session.end();
    session.send('late');
    expect(frames).toEqual([]);
    expect(session.out.size).toBe(0);
  });
});
