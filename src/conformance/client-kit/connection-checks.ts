import { expect, expectEqual, sleep, Skip } from '../check.js';
import type { Frame } from '../peer.js';
import type { ScriptConnection } from './script-connection.js';
import {
  type ClientCheck,
  type ClientRun,
  connectCommand,
  connected,
  delivered,
  eventually,
  m,
  reconnected,
  subscribed,
  welcome,
} from './script-steps.js';

/**
 * Client checks of the connection's life (PROTOCOL.md sections 7, 8, 11): backoff, close codes,
 * credentials, negotiation of transports, the upgrade back to WebSocket.
 */

/** How late a timer may fire, and a connection attempt take, on a busy machine, ms. */
const LATE = 300;

const isHello = (f: Frame): boolean => f.t === 'hello';

/** Connection attempts between two times, as gaps between their starts. */
function gaps(times: number[]): number[] {
  return times.slice(1).map((time, k) => time - times[k]!);
}

/** The client falls back from a refused WebSocket to its first HTTP transport, and gets a welcome there. */
async function fallenBack(t: ClientRun): Promise<ScriptConnection> {
  const http = t.transports.find((name) => name !== 'websocket');
  if (t.transports[0] !== 'websocket' || !http) throw new Skip('needs a client that prefers WebSocket and has an HTTP transport');
  t.server.refused.add('websocket');
  connectCommand(t, { upgrade: { min: 300, max: 1_200, timeout: 600 } }, ['websocket', http]);
  const connection = await t.server.connection(0);
  expectEqual(connection.transport, http, 'transport after the refused WebSocket');
  await connection.waitFor(isHello, 'hello');
  t.server.refused.delete('websocket');
  connection.send(welcome());
  await t.adapter.waitFor((e) => e.event === 'open', 'the open event');
  return connection;
}

/** The `index`-th connection, which must be an upgrade probe: a WebSocket whose first frame is a ping. */
async function probe(t: ClientRun, index: number): Promise<{ connection: ScriptConnection; ping: Frame }> {
  const connection = await t.server.connection(index, 10_000);
  expectEqual(connection.transport, 'websocket', 'transport of the probe');
  const first = await connection.waitFor(() => true, "the probe's first frame");
  expectEqual(first.t, 'ping', "the probe's first frame");
  return { connection, ping: first };
}

export const connectionChecks: ClientCheck[] = [
  {
    id: 'CL6',
    title: 'reconnect backoff: attempt k waits a uniform random time below min(max, min·factor^k)',
    once: true,
    async run(t) {
      const min = 100;
      const max = 400;
      const attempts = 15;
      t.server.refused.add(t.transport);
      connectCommand(t, { reconnect: { min, max, factor: 2 } });
      await t.server.until(() => t.server.attempts.length >= attempts, `${attempts} refused attempts`, 20_000);
      const waits = gaps(t.server.attempts.slice(0, attempts).map((a) => a.at));
      const ceilings = waits.map((_, k) => Math.min(max, min * 2 ** k));
      waits.forEach((wait, k) =>
        expect(wait <= ceilings[k]! + LATE, `attempt ${k} waited ${wait} ms, over its ceiling ${ceilings[k]} ms: ${waits.join(', ')}`),
      );
      // Full jitter at the cap: uniform below it, so the mean is near half of it (not near 0: no backoff; not near 1: no jitter).
      const capped = waits.filter((_, k) => ceilings[k] === max).map((wait) => wait / max);
      const mean = capped.reduce((sum, x) => sum + x, 0) / capped.length;
      expect(mean >= 0.15 && mean <= 0.85, `waits at the cap average ${mean.toFixed(2)} of it, not about half: ${waits.join(', ')} ms`);
    },
  },
  {
    id: 'CL6',
    title: "a close frame's retry replaces the backoff: the reconnect comes within retry",
    async run(t) {
      const retry = 600;
      // A backoff far longer than retry: a client that ignores retry is caught twice with odds of 1 in 400.
      let connection = await connected(t, {}, { reconnect: { min: 20_000, max: 20_000 } });
      for (let round = 1; round <= 2; round++) {
        const closedAt = Date.now();
        connection.close(4000, 'shutting down', retry);
        const { connection: next, hello } = await reconnected(t, round);
        const waited = next.openedAt - closedAt;
        expect(waited <= retry + LATE, `reconnected ${waited} ms after a close frame with retry ${retry}`);
        expectEqual(hello.sid, 'S1', 'the reconnect resumes');
        next.send(welcome({ resumed: true }));
        await t.adapter.until(() => t.adapter.of('open').length === round + 1, 'open again');
        connection = next;
      }
    },
  },
  {
    id: 'CC1',
    title: 'close codes by range: 1000, 3999 and 4099 reconnect and resume; 4150 stops and is reported',
    async run(t) {
      let connection = await connected(t);
      let index = 0;
      for (const code of [1000, 3999, 4099]) {
        connection.close(code, 'transient');
        index++;
        const { connection: next, hello } = await reconnected(t, index);
        expectEqual(hello.sid, 'S1', `the hello after ${code} resumes`);
        next.send(welcome({ resumed: true }));
        await t.adapter.until(() => t.adapter.of('open').length === index + 1, `open again after ${code}`);
        connection = next;
      }
      connection.close(4150, 'fatal');
      const closed = await t.adapter.waitFor((e) => e.event === 'closed', 'the closed event after 4150');
      expectEqual(closed.code, 4150, 'code of the closed event');
      await sleep(1_000);
      expectEqual(t.server.connections.length, index + 1, 'connections after 4150 (no reconnect)');
    },
  },
  {
    id: 'CC1',
    title: 'after 4200 fixed credentials are never sent again',
    async run(t) {
      connectCommand(t, { auth: 'token-A' });
      const connection = await t.server.connection(0);
      expectEqual((await connection.waitFor(isHello, 'hello')).auth, 'token-A', 'auth of the hello');
      connection.close(4200, 'unauthorized');
      await sleep(1_500);
      const again = t.server.connections.slice(1).filter((c) => c.frames.some(isHello));
      expectEqual(again.length, 0, 'hellos after 4200 with the same fixed credentials');
    },
  },
  {
    id: 'CC1',
    title: "after 4200 a client with a credentials callback retries only with the callback's fresh credentials (or stops)",
    async run(t) {
      connectCommand(t, { authCalls: [{ auth: 'token-A' }, { auth: 'token-B' }] });
      const connection = await t.server.connection(0);
      expectEqual((await connection.waitFor(isHello, 'hello')).auth, 'token-A', 'auth of the first hello');
      connection.close(4200, 'unauthorized');
      const hellos = (): Frame[] => t.server.connections.slice(1).flatMap((c) => c.sent('hello'));
      await eventually(() => hellos().length > 0 || t.adapter.of('closed').length > 0, 'a new hello or the closed event', 5_000);
      expect(
        hellos().every((hello) => hello.auth === 'token-B'),
        `after 4200 only fresh credentials: ${JSON.stringify(hellos().map((h) => h.auth))}`,
      );
    },
  },
  {
    id: 'HS16',
    title: 'after 4201 (another user) the client starts a new session: a hello without sid',
    async run(t) {
      const connection = await connected(t, {}, { authCalls: [{ auth: 'token-A' }] });
      connection.close(4201, 'other user');
      const { hello } = await reconnected(t);
      expect(hello.sid === undefined && hello.secret === undefined, `the hello after 4201 must not resume: ${JSON.stringify(hello)}`);
    },
  },
  {
    id: 'NG1',
    title: 'tries its transports in the order it is given',
    once: true,
    async run(t) {
      if (t.transports.length < 2) throw new Skip('needs a client with two transports');
      const order = [...t.transports].reverse();
      for (const name of order.slice(0, -1)) t.server.refused.add(name);
      connectCommand(t, {}, order);
      const connection = await t.server.connection(0);
      expectEqual(
        t.server.attempts.map((a) => a.transport),
        order,
        'attempts, in order',
      );
      expectEqual(connection.transport, order.at(-1), 'the transport that was not refused');
      await connection.waitFor(isHello, 'hello');
    },
  },
  {
    id: 'NG2',
    title: 'a transport that fails before the welcome hands over to the next at once',
    once: true,
    async run(t) {
      if (t.transports[0] !== 'websocket' || t.transports.length < 2)
        throw new Skip('needs a client that prefers WebSocket and has another transport');
      t.server.refused.add('websocket');
      connectCommand(t, {}, t.transports);
      const connection = await t.server.connection(0);
      expectEqual(connection.transport, t.transports[1], 'transport after the refused upgrade');
      await connection.waitFor(isHello, 'hello');
      const handover = connection.openedAt - t.server.attempts[0]!.at;
      expect(handover < 1_000, `fell back ${handover} ms after the refused upgrade`);
    },
  },
  {
    id: 'NG3',
    title: 'a transport fails on a timeout: no welcome after it opened (health check), or none within the connect timeout',
    once: true,
    async run(t) {
      const http = t.transports.find((name) => name !== 'websocket');
      if (!t.transports.includes('websocket') || !http) throw new Skip('needs a client with WebSocket and an HTTP transport');
      const welcomeTimeout = 700;
      const connectTimeout = 1_500;
      const backoffMax = 300;
      t.server.pollWait = Infinity; // a long-polling open is never answered
      connectCommand(t, { connectTimeout, welcomeTimeout, reconnect: { min: backoffMax, max: backoffMax } }, ['websocket', http]);
      // The WebSocket opens and nothing comes back.
      const ws = await t.server.connection(0);
      await ws.waitFor(isHello, 'hello on the WebSocket');
      const fallback = await t.server.connection(1, connectTimeout + 5_000);
      expectEqual(fallback.transport, http, 'transport after the silent WebSocket');
      const healthCheck = fallback.openedAt - ws.openedAt;
      expect(
        healthCheck >= welcomeTimeout - 50 && healthCheck <= connectTimeout + LATE,
        `fell back ${healthCheck} ms after the WebSocket opened (health check ${welcomeTimeout} ms, connect timeout ${connectTimeout} ms)`,
      );
      // The HTTP transport's opening gets no welcome either: the round ends, the next begins after the backoff.
      const next = await t.server.connection(2, connectTimeout + 5_000);
      const waited = next.openedAt - fallback.openedAt;
      expect(
        waited >= welcomeTimeout - 50 && waited <= connectTimeout + backoffMax + LATE,
        `gave up on ${http} after ${waited} ms (health check ${welcomeTimeout} ms, connect timeout ${connectTimeout} ms, backoff below ${backoffMax} ms)`,
      );
    },
  },
  {
    id: 'NG4',
    title: 'neither a failing auth callback nor a close frame with retry before the welcome makes the client fall back',
    once: true,
    async run(t) {
      if (t.transports.length < 2) throw new Skip('needs a client with two transports');
      const first = t.transports[0]!;
      connectCommand(t, { authCalls: [{ error: 'no token yet' }, { auth: 'token-A' }] }, t.transports);
      await eventually(() => t.server.connections.some((c) => c.frames.some(isHello)), 'a hello', 10_000);
      expectEqual([...new Set(t.server.attempts.map((a) => a.transport))], [first], 'transports tried after the auth callback failed');
      const connection = t.server.connections.find((c) => c.frames.some(isHello))!;
      expectEqual(connection.sent('hello')[0]!.auth, 'token-A', 'auth of the hello');
      // A server shutting down answers the hello with a close frame carrying retry.
      const before = t.server.connections.length;
      const closedAt = Date.now();
      connection.close(4000, 'shutting down', 500);
      const next = await t.server.connection(before, 5_000);
      expectEqual(next.transport, first, 'transport after a close frame with retry');
      expect(next.openedAt - closedAt <= 500 + LATE, `reconnected ${next.openedAt - closedAt} ms after a close frame with retry 500`);
      await next.waitFor(isHello, 'hello');
      next.send(welcome());
      const open = await t.adapter.waitFor((e) => e.event === 'open', 'the open event');
      expectEqual(open.transport, first, 'transport of the session');
    },
  },
  {
    id: 'UG1',
    title: 'on a fallback, a probe is a WebSocket that sends a ping first and counts only if the pong comes within the probe timeout',
    once: true,
    async run(t) {
      const old = await fallenBack(t);
      const unanswered = await probe(t, 1);
      await unanswered.connection.until(() => unanswered.connection.closed, 'the unanswered probe closed by the client', 600 + 5_000);
      expect(!unanswered.connection.frames.some(isHello), 'an unanswered probe never carries the session');
      expect(!old.closed, 'a failed probe leaves the session where it is');
      const answered = await probe(t, 2);
      answered.connection.send({ t: 'pong', id: answered.ping.id });
      const hello = await answered.connection.waitFor(isHello, 'the hello after the pong');
      expectEqual([hello.sid, hello.secret], ['S1', 'K1'], 'the session moved onto the probe');
    },
  },
  {
    id: 'UG2',
    title: 'a passed probe becomes the pipe: the old one is no longer read, rx frozen, sends wait for the welcome, nothing lost or doubled',
    once: true,
    async run(t) {
      const old = await fallenBack(t);
      await subscribed(t, old, 'a');
      old.send(m('a', 1), m('a', 2));
      await t.adapter.until(() => delivered(t, 'a').length === 2, 'two messages on the fallback');
      let passed: { connection: ScriptConnection; ping: Frame } | undefined;
      for (let index = 1; !passed; index++) {
        const next = await probe(t, index);
        next.connection.send({ t: 'pong', id: next.ping.id });
        if (index > 3) throw new Error('no hello after three answered probes');
        await next.connection.until(() => next.connection.frames.some(isHello) || next.connection.closed, 'a hello or the probe closed');
        if (next.connection.frames.some(isHello)) passed = next;
      }
      const pipe = passed.connection;
      const hello = pipe.sent('hello')[0]!;
      expectEqual([hello.sid, hello.secret, hello.rx], ['S1', 'K1', 3], 'the hello on the new pipe (rx: subd and two messages)');
      // Too late for the old pipe: the client no longer reads it.
      old.send(m('a', 3, 'on the old pipe'));
      t.adapter.command({ cmd: 'publish', id: 1, ch: 'room', d: 'during the move' });
      await sleep(300);
      expectEqual(
        pipe.frames.filter((f) => f.t !== 'ping').map((f) => f.t),
        ['hello'],
        'frames on the new pipe before its welcome',
      );
      old.close(4102, 'replaced');
      pipe.send(welcome({ resumed: true, rx: 3 }), m('a', 3, 'replayed'));
      await pipe.waitFor((f) => f.t === 'pub', 'the publish after the welcome');
      await t.adapter.until(() => delivered(t, 'a').length >= 3, 'the replayed message');
      await sleep(100);
      expectEqual(delivered(t, 'a'), [1, 2, 'replayed'], 'delivered');
      const open = t.adapter.of('open').at(-1)!;
      expectEqual([open.transport, open.resumed], ['websocket', true], 'the session on WebSocket');
    },
  },
];
