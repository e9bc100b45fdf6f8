// @vitest-environment node
import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { atTickEnd, flushAtTickEnd } from '../../../src/server/tick-end.js';
import { readBody } from '../../../src/server/transports/http-body.js';

describe('end-of-tick tasks', () => {
  it('run after the promise chains of the tick, sends before flushes, even when a send is queued after a flush', async () => {
    const order: string[] = [];
    flushAtTickEnd((name: string) => order.push(name), 'flush');
    await Promise.resolve();
    atTickEnd((name: string) => order.push(name), 'send (from a promise chain)');
    order.push('sync');
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['sync', 'send (from a promise chain)', 'flush']);
  });

  it('runs a flush queued by a send in the same round, and the rest when one task throws', async () => {
    const order: string[] = [];
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown): void => void uncaught.push(error);
    process.prependListener('uncaughtException', onUncaught);
    try {
      atTickEnd(() => {
        order.push('send');
        flushAtTickEnd(() => order.push('flush queued by the send'), null);
      }, null);
      atTickEnd(() => {
        throw new Error('boom');
      }, null);
      atTickEnd(() => order.push('send after the failing one'), null);
      await new Promise((resolve) => setImmediate(resolve));
      expect(order).toEqual(['send', 'send after the failing one', 'flush queued by the send']);
      expect(uncaught).toHaveLength(1);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });
});

describe('readBody', () => {
  it('leaves no listener on the request once the body is read (an SSE request lives as long as its stream)', async () => {
    const req = Object.assign(new PassThrough(), { headers: {}, complete: false }) as unknown as IncomingMessage & PassThrough;
    const body = readBody(req, 1024);
    req.end('{"t":"hello","v":1}');
    expect(await body).toBe('{"t":"hello","v":1}');
    for (const event of ['data', 'end', 'error', 'close']) expect(req.listenerCount(event)).toBe(0);
  });
});
