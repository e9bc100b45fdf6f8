import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useFakeClient } from '../fakes/index.js';

// Issue 16, promise hygiene: a send nobody awaits (fire and forget) that fails, and close() with sends
// pending, must not end a Node process with an unhandled rejection (nor flood a browser console with one
// per send), while a caller that awaits still gets the rejection.

const start = useFakeClient();

/** Unhandled rejections Node reports while a test runs. */
const unhandled: unknown[] = [];
const record = (reason: unknown): void => void unhandled.push(reason);
beforeEach(() => {
  unhandled.length = 0;
  process.on('unhandledRejection', record);
});
afterEach(() => {
  process.off('unhandledRejection', record);
});

/** Lets Node report the rejections nobody handled (it does after the microtasks drain, on real time). */
async function unhandledRejections(): Promise<unknown[]> {
  vi.useRealTimers();
  await new Promise((resolve) => setTimeout(resolve, 20));
  return unhandled;
}

describe('promise hygiene', () => {
  it('a publish the server refuses, that nobody awaits, is no unhandled rejection; one that is awaited rejects with the refusal', async () => {
    const { client, last } = await start();
    await last().welcome();
    void client.publish('news', 'fire and forget');
    const awaited = client.publish('news', 'awaited');
    const [first, second] = last().framesOf('pub');
    last().receive({ t: 'err', s: first!.s, code: 'forbidden', msg: 'no' });
    last().receive({ t: 'err', s: second!.s, code: 'forbidden', msg: 'no' });
    await expect(awaited).rejects.toMatchObject({ code: 'forbidden' });
    expect(await unhandledRejections()).toEqual([]);
  });

  it('close() with sends, a request and an unsubscribe pending leaves no unhandled rejection; awaiting callers get closed', async () => {
    const { client, last } = await start();
    await last().welcome();
    const subscription = client.subscribe('news', () => {});
    for (let i = 0; i < 5; i++) void client.publish('news', i);
    void client.send('hello');
    void client.request('question');
    void subscription.unsubscribe();
    const awaited = client.send('awaited');
    client.close();
    await expect(awaited).rejects.toMatchObject({ code: 'closed' });
    void client.publish('news', 'after close');
    void client.publish('not a valid channel name!', 'x');
    expect(await unhandledRejections()).toEqual([]);
  });
});
