import { sharedNow } from './clock.js';

/** What every server broadcasts: an index, the shared-clock send time, and padding to ~100 bytes of JSON. */
export interface BenchMessage {
  i: number;
  t: number;
  p: string;
}

export const MESSAGE_BYTES = 100;

/** The Pushwire channel every bench client subscribes to. */
export const BENCH_CHANNEL = 'bench';

export function makeMessage(i: number): BenchMessage {
  const message = { i, t: sharedNow(), p: '' };
  const bare = JSON.stringify(message).length;
  message.p = 'x'.repeat(Math.max(0, MESSAGE_BYTES - bare));
  return message;
}
