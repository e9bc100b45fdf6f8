import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { PushwireClient } from '../../src/client/index.js';
import { openClient } from '../support/client-harness.js';
import { closeAll } from '../support/close-after-test.js';
import { startTestServer, type TestServer } from '../support/server-harness.js';
import { delay, waitFor } from '../support/wait.js';

const MAX_PAYLOAD = 4096;
const MAX_FRAMES = 200;

let server: TestServer;
let bystander: PushwireClient;
const bystanderGot: number[] = [];
let round = 0;

beforeAll(async () => {
  server = await startTestServer({
    maxPayload: MAX_PAYLOAD,
    handshakeTimeout: 300,
    outbound: { maxFrames: MAX_FRAMES },
    canPublish: (_session, channel) => channel !== 'calm',
    onMessage: (session, data) => session.send(data),
  });
  bystander = await openClient(server.url);
  bystander.subscribe<number>('calm', (n) => bystanderGot.push(n));
  await waitFor(() => server.pushwire.stats().channels === 1, 'bystander subscribed');
});

afterAll(closeAll);

const types = ['hello', 'sub', 'unsub', 'pub', 'msg', 'ack', 'pong', 'ping', 'bye', 'welcome', 'm', 'nonsense'];
const hostileNumber = fc.oneof(
  fc.integer(),
  fc.constantFrom(0, -1, 1, 2 ** 53, 2 ** 53 + 2, Number.MAX_VALUE, 1e308, -0, 0.5),
  fc.double({ noNaN: false }),
  fc.string({ maxLength: 5 }),
);
const hostileValue = fc.oneof(
  hostileNumber,
  fc.string({ maxLength: 30 }),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.json(),
);
const hostileObject = fc
  .record(
    {
      t: fc.constantFrom(...types),
      v: fc.oneof(fc.constant(1), hostileNumber),
      s: hostileNumber,
      n: hostileNumber,
      id: hostileNumber,
      ch: fc.oneof(fc.constantFrom('calm', 'x', 'a b', ''), fc.string({ maxLength: 300 })),
      d: fc.oneof(hostileValue, fc.string({ minLength: MAX_PAYLOAD, maxLength: MAX_PAYLOAD * 3 })),
      from: fc.oneof(fc.tuple(fc.string({ maxLength: 10 }), hostileNumber), hostileValue),
      rewind: hostileNumber,
      sid: fc.string({ maxLength: 40 }),
      secret: fc.string({ maxLength: 40 }),
      rx: hostileNumber,
    },
    { requiredKeys: [] },
  )
  .map((frame) => JSON.stringify(frame));
/** Anything a hostile or broken peer might send: garbage, wrong types, huge numbers, truncated frames. */
const hostileFrame = fc.oneof(
  hostileObject,
  hostileObject.chain((text) => fc.nat({ max: text.length }).map((cut) => text.slice(0, cut))),
  fc.string({ maxLength: 200 }),
  fc.json(),
  fc.constant('{"t":"hello","v":1}'),
);
/** Sequences that also replay sequence numbers: valid publishes, each possibly sent twice. */
const replayedPublishes = fc
  .array(fc.integer({ min: 1, max: 20 }), { maxLength: 20 })
  .map((seqs) => [
    '{"t":"hello","v":1}',
    ...seqs.flatMap((s) => [JSON.stringify({ t: 'pub', s, ch: 'x', d: s }), JSON.stringify({ t: 'pub', s, ch: 'x', d: s })]),
  ]);

async function play(frames: string[], peers: number): Promise<void> {
  const sockets = await Promise.all(
    Array.from({ length: peers }, () => {
      const socket = new WebSocket(`${server.url.replace(/^http/, 'ws')}/ws`);
      socket.on('error', () => {});
      return new Promise<WebSocket>((resolve) => {
        socket.once('open', () => resolve(socket));
        socket.once('close', () => resolve(socket));
      });
    }),
  );
  // Interleave the frames over the peers (several sessions at once).
  frames.forEach((frame, i) => {
    const socket = sockets[i % peers]!;
    if (socket.readyState === WebSocket.OPEN) socket.send(frame);
  });
  await delay(20);
  for (const socket of sockets) socket.terminate();
}

async function serverStillServes(): Promise<void> {
  const n = ++round;
  await server.pushwire.publish('calm', n);
  await waitFor(() => bystanderGot.includes(n), `bystander receives message ${n}`, 5_000);
  const stats = server.pushwire.stats();
  // Bounded: hostile sessions are few and their buffers are capped.
  expect(stats.sessions).toBeLessThanOrEqual(1 + 6 * round);
  expect(bystander.state).toBe('open');
}

/** One HTTP request with whatever a hostile peer puts in it; resolves when the server answered or hung up. */
function hostileRequest(route: string, method: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve) => {
    const req = httpRequest(`${server.url}${route}`, { method, headers }, (res) => {
      res.resume();
      // Streams (SSE, polls) may stay open: a status is all this needs.
      resolve(res.statusCode ?? 0);
      setTimeout(() => res.destroy(), 10);
    });
    req.setTimeout(2_000, () => req.destroy());
    req.once('error', () => resolve(0));
    req.once('close', () => resolve(0));
    req.end(body);
  });
}

const hostileRequestArb = fc.record({
  route: fc.constantFrom('/sse', '/poll', '/send', '/events', '/ws', '/nope', ''),
  method: fc.constantFrom('GET', 'POST', 'PUT', 'OPTIONS', 'DELETE'),
  connection: fc.oneof(
    fc.constant(''),
    fc.string({ maxLength: 40 }),
    fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF_-'), minLength: 24, maxLength: 24 }),
  ),
  received: fc.oneof(fc.constant(''), hostileNumber.map(String)),
  query: fc.oneof(
    fc.constant(''),
    fc.string({ maxLength: 30 }).map((q) => `?channel=${encodeURIComponent(q)}`),
    fc.constant('?channel=calm&rewind=-1'),
  ),
  body: fc.oneof(
    fc.array(hostileFrame, { maxLength: 8 }).map((frames) => frames.join('\n')),
    fc.constant('{"t":"hello","v":1}'),
    fc.string({ maxLength: 100 }),
  ),
});

describe('fuzzing the HTTP endpoints with hostile requests', () => {
  it('answers every request, never crashes, and keeps serving other sessions', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(hostileRequestArb, { minLength: 1, maxLength: 6 }), async (requests) => {
        await Promise.all(
          requests.map(({ route, method, connection, received, query, body }) => {
            const headers: Record<string, string> = { 'content-type': 'text/plain' };
            if (connection) headers['pushwire-connection'] = connection;
            if (received) headers['pushwire-received'] = received;
            return hostileRequest(`${route}${query}`, method, headers, method === 'GET' ? '' : body);
          }),
        );
        await serverStillServes();
      }),
      { numRuns: 40 },
    );
  });
});

describe('fuzzing the WebSocket endpoint with hostile frames', () => {
  it('never crashes, keeps serving other sessions, and keeps memory bounded', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(hostileFrame, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 3 }), async (frames, peers) => {
        await play(frames, peers);
        await serverStillServes();
      }),
      { numRuns: 60 },
    );
  });

  it('handles replayed sequence numbers exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(replayedPublishes, async (frames) => {
        const seen: number[] = [];
        const stop = await server.pushwire.broker.subscribe('x', (message) => seen.push(JSON.parse(message.json) as number));
        await play(frames, 1);
        await delay(20);
        await stop();
        // Each sequence number is handled once, the first time it is seen, and only if higher than any before.
        const expected: number[] = [];
        let highest = 0;
        for (const frame of frames.slice(1)) {
          const { s } = JSON.parse(frame) as { s: number };
          if (s > highest) {
            expected.push(s);
            highest = s;
          }
        }
        expect(seen).toEqual(expected);
        await serverStillServes();
      }),
      { numRuns: 25 },
    );
  });
});
