import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { httpUpstream } from '../../../src/client/transports/http-upstream.js';
import { delay, waitFor } from '../../support/wait.js';
import { BASE } from '../fakes/index.js';

const network = setupServer();
beforeAll(() => network.listen({ onUnhandledRequest: 'error' }));
afterEach(() => network.resetHandlers());
afterAll(() => network.close());

it("cuts batches at the server's max body, keeps one POST in flight and the order of the frames", async () => {
  const bodies: string[] = [];
  let inFlight = 0;
  let most = 0;
  network.use(
    http.post(`${BASE}/send`, async ({ request }) => {
      most = Math.max(most, ++inFlight);
      expect(request.headers.get('pushwire-connection')).toBe('tok');
      bodies.push(await request.text());
      await delay(10);
      inFlight--;
      return new HttpResponse(null, { status: 204 });
    }),
  );
  const failures: string[] = [];
  const upstream = httpUpstream(BASE, (reason) => failures.push(reason));
  const frames = Array.from({ length: 40 }, (_, i) => JSON.stringify({ t: 'msg', s: i + 1, d: 'x'.repeat(i % 7) }));
  for (const frame of frames.slice(0, 5)) upstream.push_(frame); // queued until the connection is named
  upstream.ready_('tok', 100);
  for (const frame of frames.slice(5)) upstream.push_(frame);
  await waitFor(() => bodies.join('\n').split('\n').length === 40 && inFlight === 0, 'all 40 frames posted', 5_000);
  expect(failures).toEqual([]);
  expect(most).toBe(1);
  expect(bodies.length).toBeGreaterThan(10);
  for (const body of bodies) expect(new TextEncoder().encode(body).length).toBeLessThanOrEqual(100);
  expect(bodies.join('\n').split('\n')).toEqual(frames);
});

it("fails the pipe with the server's answer when a POST is refused, and sends nothing more", async () => {
  let posts = 0;
  network.use(
    http.post(`${BASE}/send`, () => {
      posts++;
      return new HttpResponse('unknown_connection: no open connection with this token', { status: 404 });
    }),
  );
  const failures: string[] = [];
  const upstream = httpUpstream(BASE, (reason) => failures.push(reason));
  upstream.ready_('tok', 1000);
  upstream.push_('{"t":"ping","id":1}');
  await waitFor(() => failures.length === 1, 'the failure', 5_000);
  expect(failures).toEqual(['POST /send answered 404: unknown_connection: no open connection with this token']);
  upstream.stop_();
  upstream.push_('{"t":"ping","id":2}');
  await delay(30);
  expect(posts).toBe(1);
});

it('on finish, still sends what is queued, then reports done', async () => {
  const bodies: string[] = [];
  network.use(
    http.post(`${BASE}/send`, async ({ request }) => {
      bodies.push(await request.text());
      await delay(20);
      return new HttpResponse(null, { status: 204 });
    }),
  );
  const upstream = httpUpstream(BASE, () => {});
  upstream.ready_('tok', 1000);
  upstream.push_('{"t":"ack","n":5}');
  upstream.push_('{"t":"bye"}');
  let done = false;
  upstream.finish_(() => (done = true));
  upstream.push_('{"t":"ping","id":9}'); // after finish: not taken
  await waitFor(() => done, 'the finish callback', 5_000);
  expect(bodies.join('\n')).toBe('{"t":"ack","n":5}\n{"t":"bye"}');
});
