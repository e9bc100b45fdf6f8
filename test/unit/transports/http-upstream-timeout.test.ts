import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { httpUpstream, UPSTREAM_TIMEOUT } from '../../../src/client/transports/http-upstream.js';

let posts: { signal: AbortSignal; answer: (status: number) => void }[];

beforeEach(() => {
  vi.useFakeTimers();
  posts = [];
  // A fetch that answers only when the test says so, and rejects when aborted.
  vi.stubGlobal('fetch', (_url: string, init: { signal: AbortSignal }) => {
    return new Promise((resolve, reject) => {
      posts.push({ signal: init.signal, answer: (status) => resolve(new Response(null, { status })) });
      init.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
    });
  });
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

it('fails the pipe when an upstream POST is not answered in time (a half-open connection), once', async () => {
  const failures: string[] = [];
  const upstream = httpUpstream('http://example.test/pushwire', (reason) => failures.push(reason));
  upstream.ready_('token', 65_536);
  upstream.push_('{"t":"ack","n":5}');
  expect(posts).toHaveLength(1);
  await vi.advanceTimersByTimeAsync(UPSTREAM_TIMEOUT - 1);
  expect(failures).toEqual([]);
  await vi.advanceTimersByTimeAsync(1);
  expect(failures).toEqual([`POST /send not answered within ${UPSTREAM_TIMEOUT} ms`]);
  expect(posts[0]!.signal.aborted).toBe(true);
  await vi.advanceTimersByTimeAsync(UPSTREAM_TIMEOUT);
  expect(failures).toHaveLength(1);
});

it('lets POSTs that are answered in time go on, one after the other', async () => {
  const failures: string[] = [];
  const upstream = httpUpstream('http://example.test/pushwire', (reason) => failures.push(reason));
  upstream.ready_('token', 65_536);
  upstream.push_('{"s":1,"t":"msg","d":1}');
  upstream.push_('{"s":2,"t":"msg","d":2}');
  await vi.advanceTimersByTimeAsync(UPSTREAM_TIMEOUT - 100);
  posts[0]!.answer(204);
  await vi.advanceTimersByTimeAsync(UPSTREAM_TIMEOUT - 100);
  expect(posts).toHaveLength(2);
  posts[1]!.answer(204);
  await vi.advanceTimersByTimeAsync(UPSTREAM_TIMEOUT * 2);
  expect(failures).toEqual([]);
  expect(vi.getTimerCount()).toBe(0);
});
