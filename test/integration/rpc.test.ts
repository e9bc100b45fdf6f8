import { afterEach, describe, expect, it } from 'vitest';
import { type PushwireClient, PushwireError } from '../../src/client/index.js';
import { PublicError, type ServerOptions } from '../../src/server/index.js';
import { openClient } from '../support/client-harness.js';
import { closeAfterTest, closeAll } from '../support/close-after-test.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { startTestServer } from '../support/server-harness.js';
import { delay, waitFor } from '../support/wait.js';

afterEach(closeAll);

/** A server with these options and a client connected to it, open. */
async function setUp(options: ServerOptions): Promise<PushwireClient> {
  const server = await startTestServer(options);
  return openClient(server.url);
}

async function rejection(promise: Promise<unknown>): Promise<PushwireError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PushwireError);
  return error as PushwireError;
}

describe('request/response against the real server', () => {
  it('resolves with what the onRequest hook returns, sync or async, and passes it the session and data', async () => {
    const seen: unknown[] = [];
    const c = await setUp({
      onRequest: async (session, data) => {
        seen.push([typeof session.id, data]);
        const { op, a, b } = data as { op: string; a: number; b: number };
        if (op === 'later') return new Promise((resolve) => setTimeout(() => resolve(a * b), 20));
        return a + b;
      },
    });
    const [sum, product] = await Promise.all([
      c.request<number>({ op: 'add', a: 2, b: 3 }),
      c.request<number>({ op: 'later', a: 4, b: 5 }),
    ]);
    expect(sum).toBe(5);
    expect(product).toBe(20);
    expect(seen).toEqual([
      ['string', { op: 'add', a: 2, b: 3 }],
      ['string', { op: 'later', a: 4, b: 5 }],
    ]);
  });

  it('rejects with handler_error when the hook throws (with what a PublicError says, nothing of another error), and with no_handler without a hook', async () => {
    const c = await setUp({
      onRequest: (_session, data) => {
        if (data === 'public') throw new PublicError('no_account', 'no such account', { id: 7 });
        throw new Error('db password hunter2 refused');
      },
    });
    const error = await rejection(c.request('x'));
    expect(error.code).toBe('handler_error');
    expect(error.message).not.toContain('hunter2');
    const told = await rejection(c.request('public'));
    expect(told).toMatchObject({ code: 'handler_error', message: 'no such account', appCode: 'no_account', data: { id: 7 } });
    await closeAll(); // this server and its client, before a server without the hook

    const bare = await setUp({});
    expect((await rejection(bare.request('x'))).code).toBe('no_handler');
  });

  it('rejects with timeout when the answer does not come in time, ignores the late answer and stays usable', async () => {
    let calls = 0;
    const c = await setUp({
      onRequest: async (_session, data) => {
        calls++;
        if (data === 'slow') await delay(300);
        return `done ${String(data)}`;
      },
    });
    const error = await rejection(c.request('slow', { timeout: 50 }));
    expect(error.code).toBe('timeout');
    expect(error.message).toMatch(/may still be handled/);
    // The frames after it wait for it (one inbox per session, in order), then go through.
    await expect(c.request('fast', { timeout: 2_000 })).resolves.toBe('done fast');
    expect(calls).toBe(2);
  });

  it('delivers the answer after a reconnect: the response frame is replayed when the session resumes', async () => {
    let release: (() => void) | undefined;
    let calls = 0;
    const server = await startTestServer({
      onRequest: async (_session, data) => {
        calls++;
        await new Promise<void>((resolve) => (release = resolve));
        return { echo: data };
      },
    });
    const proxy = closeAfterTest(new FaultProxy(server.port, { cutAfter: null, stallChance: 0, delay: [0, 0] }));
    const proxyPort = await proxy.listen();
    const client = await openClient(`http://127.0.0.1:${proxyPort}/pushwire`);
    const resumes: boolean[] = [];
    client.on('open', ({ resumed }) => resumes.push(resumed));

    const answer = client.request<{ echo: string }>('kept', { timeout: 5_000 });
    await waitFor(() => release !== undefined, 'the request to reach the handler', 2_000);
    proxy.cutAll();
    release!(); // answered while the client is away: the frame waits in the session's buffer
    await expect(answer).resolves.toEqual({ echo: 'kept' });
    expect(resumes).toEqual([true]);
    expect(calls).toBe(1);
  });
});

describe('publish and send promises reject with typed errors', () => {
  it('forbidden: the canPublish hook refuses', async () => {
    const c = await setUp({ canPublish: (_session, channel) => channel !== 'locked' });
    await expect(c.publish('open', 1)).resolves.toBeUndefined();
    const error = await rejection(c.publish('locked', 1));
    expect(error.code).toBe('forbidden');
  });

  it('too_large: a frame over the max payload is refused before it is sent, and nothing else is affected', async () => {
    const c = await setUp({ canPublish: () => true, maxPayload: 1_000 });
    expect((await rejection(c.publish('big', 'x'.repeat(2_000)))).code).toBe('too_large');
    await expect(c.publish('big', 'small')).resolves.toBeUndefined();
  });

  it('closed: sends waiting when the client closes, and sends after it, reject with closed', async () => {
    const c = await setUp({ onMessage: () => new Promise(() => {}) }); // never handled
    const waiting = c.send('stuck');
    await delay(20);
    c.close();
    expect((await rejection(waiting)).code).toBe('closed');
    expect((await rejection(c.send('late'))).code).toBe('closed');
  });

  it('timeout: a publish not acknowledged within its timeout rejects (the server is slow to handle it)', async () => {
    const c = await setUp({ canPublish: () => new Promise((resolve) => setTimeout(() => resolve(true), 200)) });
    const error = await rejection(c.publish('slow', 1, { timeout: 30 }));
    expect(error.code).toBe('timeout');
    await expect(c.publish('slow', 2, { timeout: 2_000 })).resolves.toBeUndefined();
  });
});
