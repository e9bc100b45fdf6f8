// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { OutboundBuffer } from '../../../src/server/outbound-buffer.js';
import { OutFrame } from '../../../src/server/out-frame.js';

/** A reliable frame whose text is `n` padded to `bytes` bytes. */
function frame(n: number, bytes = 10): OutFrame {
  return new OutFrame(String(n).padEnd(bytes, '.'), true);
}

function filled(count: number, maxFrames = 10_000, maxBytes = 1 << 30): OutboundBuffer {
  const buffer = new OutboundBuffer(maxFrames, maxBytes);
  for (let n = 1; n <= count; n++) expect(buffer.push(frame(n))).toBe(true);
  return buffer;
}

const numbers = (frames: OutFrame[]): number[] => frames.map((f) => Number.parseInt(f.text, 10));

describe('OutboundBuffer numbering and acks', () => {
  it('numbers pushed frames 1, 2, 3… and keeps them until acked', () => {
    const buffer = filled(5);
    expect([buffer.total, buffer.size, buffer.acked, buffer.bytes]).toEqual([5, 5, 0, 50]);
  });

  it('drops frames up to a cumulative ack and frees their bytes', () => {
    const buffer = filled(5);
    buffer.ack(3);
    expect([buffer.total, buffer.size, buffer.acked, buffer.bytes]).toEqual([5, 2, 3, 20]);
    expect(numbers(buffer.since(3))).toEqual([4, 5]);
    buffer.ack(5);
    expect([buffer.size, buffer.acked, buffer.bytes]).toEqual([0, 5, 0]);
  });

  it('ignores an ack that goes backwards or beyond what was sent', () => {
    const buffer = filled(5);
    buffer.ack(3);
    buffer.ack(2);
    buffer.ack(3);
    buffer.ack(6);
    buffer.ack(-1);
    expect([buffer.acked, buffer.size, buffer.bytes]).toEqual([3, 2, 20]);
  });

  it('keeps numbering across acks and pushes', () => {
    const buffer = filled(3);
    buffer.ack(3);
    buffer.push(frame(4));
    buffer.push(frame(5));
    expect(numbers(buffer.since(3))).toEqual([4, 5]);
    expect(buffer.total).toBe(5);
  });

  it('stays correct through many acks (the array is compacted now and then)', () => {
    const buffer = filled(5000);
    for (let n = 1; n <= 4990; n += 7) {
      buffer.ack(n);
      expect(buffer.acked).toBe(n);
      expect(numbers(buffer.since(n)).slice(0, 2)).toEqual([n + 1, n + 2]);
    }
    buffer.ack(4990);
    expect(numbers(buffer.since(4990))).toEqual([4991, 4992, 4993, 4994, 4995, 4996, 4997, 4998, 4999, 5000]);
    expect(buffer.bytes).toBe(100);
  });
});

describe('OutboundBuffer replay on resume', () => {
  it('replays every frame after the client count, in order', () => {
    const buffer = filled(6);
    buffer.ack(2);
    expect(buffer.canReplayFrom(2)).toBe(true);
    expect(numbers(buffer.since(2))).toEqual([3, 4, 5, 6]);
    expect(numbers(buffer.since(4))).toEqual([5, 6]);
    expect(buffer.since(6)).toEqual([]);
    expect(buffer.canReplayFrom(6)).toBe(true);
  });

  it('cannot replay from before the acked count (those frames are gone) or beyond the total', () => {
    const buffer = filled(6);
    buffer.ack(3);
    expect(buffer.canReplayFrom(2)).toBe(false);
    expect(buffer.since(2)).toEqual([]);
    expect(buffer.canReplayFrom(7)).toBe(false);
    expect(buffer.since(7)).toEqual([]);
  });

  it('since() drops nothing: only an ack does', () => {
    const buffer = filled(6);
    expect(numbers(buffer.since(4))).toEqual([5, 6]);
    expect(buffer.acked).toBe(0);
  });
});

describe('OutboundBuffer bounds', () => {
  it('refuses a frame past the frame bound and keeps what it has', () => {
    const buffer = filled(3, 3);
    expect(buffer.push(frame(4))).toBe(false);
    expect([buffer.total, buffer.size]).toEqual([3, 3]);
    buffer.ack(1);
    expect(buffer.push(frame(4))).toBe(true);
    expect(numbers(buffer.since(1))).toEqual([2, 3, 4]);
  });

  it('refuses a frame that would cross the byte bound', () => {
    const buffer = new OutboundBuffer(100, 25);
    expect(buffer.push(frame(1, 10))).toBe(true);
    expect(buffer.push(frame(2, 10))).toBe(true);
    expect(buffer.push(frame(3, 6))).toBe(false);
    expect(buffer.push(frame(3, 5))).toBe(true);
    expect(buffer.bytes).toBe(25);
  });

  it('counts bytes of UTF-8, not characters', () => {
    const buffer = new OutboundBuffer(100, 10);
    expect(buffer.push(new OutFrame('ééééé', true))).toBe(true); // 10 bytes
    expect(buffer.push(new OutFrame('x', true))).toBe(false);
  });

  it('clear() empties it and nothing older than the total can be replayed afterwards', () => {
    const buffer = filled(4);
    buffer.clear();
    expect([buffer.size, buffer.bytes]).toEqual([0, 0]);
    expect(buffer.canReplayFrom(2)).toBe(false);
  });
});
