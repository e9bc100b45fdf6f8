import { expect } from 'vitest';
import type { PushwireClient } from '../../../src/client/index.js';
import type { TestServer } from '../../support/server-harness.js';
import { delay, waitFor } from '../../support/wait.js';

export interface StreamResult {
  received: number[];
  resets: number;
  /** Resolves when the server confirmed the subscription: publish only after it. */
  subscribed: Promise<void>;
}

/**
 * Subscribes `client` to `channel` and collects the payloads (numbers 1…total) it receives. Call
 * `run` to publish them from the server; the publisher stays at most `window` messages ahead of the
 * client (a real app's pace), and calls `at(i)` before publishing message i so a test can break
 * things mid-stream.
 */
export function collect(client: PushwireClient, channel: string): StreamResult {
  let confirm = (): void => {};
  const result: StreamResult = { received: [], resets: 0, subscribed: new Promise((resolve) => (confirm = resolve)) };
  client.subscribe<number>(channel, {
    onMessage: (n) => result.received.push(n),
    onReset: () => result.resets++,
    onSubscribed: () => confirm(),
  });
  return result;
}

export async function publishStream(
  server: TestServer,
  channel: string,
  result: StreamResult,
  total: number,
  at: (i: number) => void | Promise<void> = () => {},
  window = 500,
): Promise<void> {
  await result.subscribed;
  for (let i = 1; i <= total; i++) {
    await at(i);
    if (i - result.received.length > window)
      await waitFor(() => i - result.received.length <= window, `the client to catch up to ${i - window}`);
    await server.pushwire.publish(channel, i);
    if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await waitFor(() => result.received.length >= total, `all ${total} messages (have ${result.received.length})`, 30_000);
  // A moment more, so that a duplicate arriving late would be seen.
  await delay(100);
}

/** Every message exactly once, in order, and no reset. */
export function expectExactlyOnceInOrder(result: StreamResult, total: number): void {
  expect(result.resets).toBe(0);
  expect(result.received.length).toBe(total);
  const misplaced = result.received.findIndex((n, index) => n !== index + 1);
  expect(misplaced, `message at index ${misplaced} is ${result.received[misplaced]}`).toBe(-1);
}
