// @vitest-environment node
import { describe, expect, it } from 'vitest';
import type { Connection } from '../../../src/server/connection.js';
import { OutFrame } from '../../../src/server/out-frame.js';
import { ServerSession, type SessionHost } from '../../../src/server/session.js';

type Frame = { t: string; [field: string]: unknown };

function connection(): { connection: Connection; frames: Frame[] } {
  const frames: Frame[] = [];
  return {
    frames,
    connection: { transport: 'websocket', pendingBytes: 0, send: (f) => void frames.push(JSON.parse(f.text) as Frame), close: () => {} },
  };
}

const host: SessionHost = { handle: async () => {}, overflow: () => {}, end: () => {} };
const welcome = new OutFrame('{"t":"welcome"}', false);
/** A reliable frame of about 1 KiB. */
const kilobyte = (i: number): OutFrame => OutFrame.of({ t: 'msg', d: `${i}`.padEnd(1000, '.') }, true);
const pings = (frames: Frame[]): number => frames.filter((f) => f.t === 'ping').length;

describe('receipts the server asks for (SC6)', () => {
  it('a stream below 64 KiB unacknowledged asks for none; past it one ping, and no other until a receipt comes', () => {
    const session = new ServerSession('sid', 'secret', null, { maxFrames: 5000, maxBytes: 4 << 20 }, host);
    const { connection: pipe, frames } = connection();
    session.attach(pipe, welcome, 0);
    for (let i = 0; i < 60; i++) session.enqueue(kilobyte(i));
    expect(pings(frames)).toBe(0);
    for (let i = 60; i < 100; i++) session.enqueue(kilobyte(i));
    expect(pings(frames)).toBe(1);
    // The ping follows the frame that crossed 64 KiB, so the pong's count covers it.
    const before = frames.findIndex((f) => f.t === 'ping') - 1; // frames after the welcome
    const size = kilobyte(0).bytes;
    expect(before * size).toBeGreaterThanOrEqual(64 * 1024);
    expect((before - 1) * size).toBeLessThan(64 * 1024);
    session.receipt(100);
    expect(session.out.size).toBe(0);
    for (let i = 100; i < 160; i++) session.enqueue(kilobyte(i));
    expect(pings(frames)).toBe(1);
    for (let i = 160; i < 170; i++) session.enqueue(kilobyte(i));
    expect(pings(frames)).toBe(2);
  });

  it('a small buffer asks at a quarter of its frame bound', () => {
    const session = new ServerSession('sid', 'secret', null, { maxFrames: 40, maxBytes: 4 << 20 }, host);
    const { connection: pipe, frames } = connection();
    session.attach(pipe, welcome, 0);
    for (let i = 0; i < 9; i++) session.enqueue(OutFrame.of({ t: 'msg', d: i }, true));
    expect(pings(frames)).toBe(0);
    session.enqueue(OutFrame.of({ t: 'msg', d: 9 }, true));
    expect(pings(frames)).toBe(1);
  });

  it('without a connection it asks nothing (the resuming hello carries the receipt)', () => {
    const session = new ServerSession('sid', 'secret', null, { maxFrames: 40, maxBytes: 4 << 20 }, host);
    for (let i = 0; i < 20; i++) session.enqueue(OutFrame.of({ t: 'msg', d: i }, true));
    const { connection: pipe, frames } = connection();
    session.attach(pipe, welcome, 0);
    expect(pings(frames)).toBe(0);
    session.enqueue(OutFrame.of({ t: 'msg', d: 20 }, true));
    expect(pings(frames)).toBe(1);
  });
});
