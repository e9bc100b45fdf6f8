import { type ServerCheck, expect, expectEqual, sleep, Skip } from '../check.js';
import { HttpPeer, LongPollPeer, SsePeer } from '../http-peers.js';
import { fetchText } from '../http-request.js';
import type { Peer } from '../peer.js';
import { WebSocketPeer } from '../websocket-peer.js';

const TEXT = { 'content-type': 'text/plain;charset=UTF-8' };

function asSse(peer: Peer): SsePeer {
  if (!(peer instanceof SsePeer)) throw new Error('expected an SSE peer');
  return peer;
}

function asPoll(peer: Peer): LongPollPeer {
  if (!(peer instanceof LongPollPeer)) throw new Error('expected a long-polling peer');
  return peer;
}

function asHttp(peer: Peer): HttpPeer {
  if (!(peer instanceof HttpPeer)) throw new Error('expected an HTTP peer');
  return peer;
}

/** Whether a batch holds nothing but heartbeat pings. */
function onlyPings(body: string): boolean {
  return body.split('\n').every((line) => (JSON.parse(line) as { t: string }).t === 'ping');
}

function asWebSocket(peer: Peer): WebSocketPeer {
  if (!(peer instanceof WebSocketPeer)) throw new Error('expected a WebSocket peer');
  return peer;
}

/** Sections 2, 3 and 11: endpoints, origin, framing and the HTTP transports. */
export const transportChecks: ServerCheck[] = [
  {
    id: 'EN1',
    title: 'every server frame is a JSON object with a string t',
    scope: 'each',
    async run(t) {
      const { peer } = await t.subscribedSession();
      await peer.send({ t: 'ping', id: 1 }, { t: 'zap' });
      await peer.until(() => peer.frames('pong').length === 1 && peer.frames('err').length === 1, 'pong and err');
      expectEqual(peer.violations, [], 'frames that are not JSON objects with a string t');
    },
  },
  {
    id: 'EN2',
    title: 'unknown fields are ignored',
    scope: 'each',
    async run(t) {
      const peer = await t.handshake({ t: 'hello', v: 1, future: { x: 1 } });
      await peer.send({ t: 'sub', s: 1, ch: t.channel(), future: true }, { t: 'ping', id: 3, later: [] });
      await t.acked(peer, 1);
      await peer.waitFor((f) => f.t === 'pong' && f.id === 3, 'pong');
      expectEqual(peer.frames('err').length, 0, 'errors');
    },
  },
  {
    id: 'EN4',
    title: 'one message or body may carry several frames separated by \\n (empty lines skipped)',
    scope: 'each',
    async run(t) {
      const peer = await t.handshake();
      await peer.sendText(
        `${JSON.stringify({ t: 'sub', s: 1, ch: t.channel() })}\n\n${JSON.stringify({ t: 'sub', s: 2, ch: t.channel() })}\n`,
      );
      await t.acked(peer, 2);
      expectEqual(
        peer.frames('subd').map((f) => f.s),
        [1, 2],
        'subd frames',
      );
      expectEqual(peer.frames('err').length, 0, 'errors');
    },
  },
  {
    id: 'EN5',
    title: 'server frames are one per WebSocket message',
    scope: 'websocket',
    async run(t) {
      const peer = await t.handshake();
      for (let s = 1; s <= 5; s++) await peer.send({ t: 'sub', s, ch: t.channel() });
      await t.acked(peer, 5);
      expectEqual(peer.violations, [], 'messages that are not exactly one frame');
    },
  },
  {
    id: 'EN6',
    title: 'a binary WebSocket message closes with 1003',
    scope: 'websocket',
    async run(t) {
      const peer = asWebSocket(await t.handshake());
      await peer.sendBinary(Buffer.from('{"t":"ping","id":1}'));
      expectEqual((await peer.waitClosed('close 1003')).code, 1003, 'close code');
    },
  },
  {
    id: 'EN8',
    title: 'a WebSocket message over twice the max payload closes with 1009',
    scope: 'websocket',
    async run(t) {
      const peer = await t.handshake();
      const max = Number(peer.welcome()!.max);
      await peer.send({ t: 'msg', s: 1, d: 'x'.repeat(2 * max + 10) });
      expectEqual((await peer.waitClosed('close 1009')).code, 1009, 'close code');
    },
  },
  {
    id: 'EP1',
    title: 'GET {path}/ws without an upgrade → 426',
    scope: 'once',
    async run(t) {
      expectEqual((await fetchText(`${t.kit.url}/ws`, { method: 'GET' })).status, 426, 'status');
    },
  },
  {
    id: 'EP2',
    title: 'an unknown path under the prefix → 404',
    scope: 'once',
    async run(t) {
      expectEqual((await fetchText(`${t.kit.url}/no-such-endpoint`, { method: 'GET' })).status, 404, 'status');
    },
  },
  {
    id: 'EP3',
    title: 'a page origin the server does not allow is refused with 403 (upgrade and HTTP)',
    scope: 'each',
    async run(t) {
      const evil = { origin: 'http://evil.example' };
      const peer = t.open({ t: 'hello', v: 1 }, { headers: evil });
      await peer.opened();
      expectEqual(peer.openStatus, 403, 'status');
    },
  },
  {
    id: 'TR3',
    title: 'the Origin policy applies to every HTTP endpoint: a page origin not allowed gets 403',
    scope: 'once',
    async run(t) {
      const headers = { origin: 'http://evil.example', 'content-type': 'text/plain;charset=UTF-8' };
      const hello = JSON.stringify({ t: 'hello', v: 1 });
      const endpoints: [string, string, string?][] = [
        ['POST', '/sse', hello],
        ['POST', '/poll', hello],
        ['GET', '/poll'],
        ['POST', '/send', JSON.stringify({ t: 'ping', id: 1 })],
        ['POST', '/bye', JSON.stringify({ sid: 'x', secret: 'y' })],
        ['GET', `/events?channel=${encodeURIComponent(t.channel())}`],
      ];
      for (const [method, path, body] of endpoints) {
        const answer = await fetchText(`${t.kit.url}${path}`, { method, headers, body });
        expect(
          answer.status === 403 && answer.body.startsWith('forbidden: origin not allowed'),
          `${method} ${path} from a foreign origin: ${answer.status} ${answer.body.slice(0, 80)}`,
        );
      }
    },
  },
  {
    id: 'EP4',
    title: "the server's own origin (Origin host = Host) is allowed",
    scope: 'each',
    async run(t) {
      const own = { origin: `${new URL(t.kit.url).protocol}//${new URL(t.kit.url).host}` };
      const peer = t.open({ t: 'hello', v: 1 }, { headers: own });
      await peer.waitFor((f) => f.t === 'welcome', 'welcome for a same-origin page');
    },
  },
  {
    id: 'TR2',
    title: 'welcome.tr lists the transports offered, and each one works',
    scope: 'each',
    async run(t) {
      const peer = await t.handshake();
      const tr = peer.welcome()!.tr as string[];
      expect(tr.includes(t.transport), `${t.transport} works but is not in tr ${JSON.stringify(tr)}`);
      if (t.kit.config) expectEqual(tr, t.kit.config.transports, 'tr against the configured transports');
    },
  },
  {
    id: 'HT1',
    title: 'an HTTP connection is named by a random token; frames after the hello in the body are fed in order',
    scope: 'http',
    async run(t) {
      const a = asHttp(
        t.open(
          [
            { t: 'hello', v: 1 },
            { t: 'sub', s: 1, ch: t.channel() },
          ]
            .map((f) => JSON.stringify(f))
            .join('\n'),
        ),
      );
      await t.acked(a, 1);
      const b = asHttp(await t.handshake());
      expect(/^[A-Za-z0-9_.-]{20,}$/.test(a.token) && a.token !== b.token, `tokens must be random base64url: ${a.token}, ${b.token}`);
      expectEqual(
        a.frames('subd').map((f) => f.s),
        [1],
        'pipelined sub answered',
      );
    },
  },
  {
    id: 'HT2',
    title: 'the opening response carries Pushwire-Connection and Pushwire-Max-Body (= welcome.max)',
    scope: 'http',
    async run(t) {
      const peer = asHttp(await t.handshake());
      expect(peer.token.length > 0, 'Pushwire-Connection missing');
      expectEqual(Number(peer.openHeaders['pushwire-max-body']), peer.welcome()!.max, 'Pushwire-Max-Body');
    },
  },
  {
    id: 'HT3',
    title: 'an opening body over the max payload → 413',
    scope: 'http',
    control: true,
    async run(t) {
      const peer = t.open({ t: 'hello', v: 1, auth: 'x'.repeat(t.config.max + 10) });
      await peer.opened();
      expectEqual(peer.openStatus, 413, 'status');
    },
  },
  {
    id: 'HT4',
    title: 'the welcome (or the close frame of a refused handshake) arrives downstream',
    scope: 'http',
    async run(t) {
      const peer = await t.handshake();
      expectEqual(peer.received[0]!.frame.t, 'welcome', 'first downstream frame');
      const refused = t.open({ t: 'hello', v: 99 });
      await refused.waitFor((f) => f.t === 'close', 'a close frame');
    },
  },
  {
    id: 'HT5',
    title: 'after the connection ended, requests naming it get 404 unknown_connection',
    scope: 'http',
    async run(t) {
      const peer = asHttp(await t.handshake());
      await peer.send({ t: 'bye' });
      await peer.waitClosed('the close');
      // A long-polling connection ends once a poll after its close frame got 404 (LP10).
      if (peer instanceof LongPollPeer) expectEqual((await peer.poll()).status, 404, 'status of the poll after the close frame');
      await sleep(50);
      const answer = await fetchText(`${t.kit.url}/send`, {
        method: 'POST',
        headers: { ...TEXT, 'pushwire-connection': peer.token },
        body: '{"t":"ping","id":1}',
      });
      expect(
        answer.status === 404 && answer.body.startsWith('unknown_connection'),
        `expected 404 unknown_connection, got ${answer.status} ${answer.body}`,
      );
    },
  },
  {
    id: 'UP2',
    title: 'an upstream body carries frames in order; an empty body is one bad_frame',
    scope: 'http',
    async run(t) {
      const peer = await t.handshake();
      await peer.sendText(
        [
          { t: 'sub', s: 1, ch: t.channel() },
          { t: 'sub', s: 2, ch: t.channel() },
        ]
          .map((f) => JSON.stringify(f))
          .join('\n'),
      );
      await t.acked(peer, 2);
      expectEqual(
        peer.frames('subd').map((f) => f.s),
        [1, 2],
        'subd order',
      );
      await peer.sendText('');
      const err = await peer.waitFor((f) => f.t === 'err', 'err for the empty body');
      expectEqual(err.code, 'bad_frame', 'code');
    },
  },
  {
    id: 'UP3',
    title: 'POST /send answers 204, 404 unknown_connection, 413 too_large, 405',
    scope: 'http',
    async run(t) {
      const peer = asHttp(await t.handshake());
      const max = Number(peer.welcome()!.max);
      const send = (headers: Record<string, string>, body: string, method = 'POST') =>
        fetchText(`${t.kit.url}/send`, { method, headers: { ...TEXT, ...headers }, body: method === 'POST' ? body : undefined });
      expectEqual((await send({ 'pushwire-connection': peer.token }, '{"t":"ping","id":1}')).status, 204, 'status for a good POST');
      const unknown = await send({ 'pushwire-connection': 'no-such-token' }, '{"t":"ping","id":1}');
      expect(unknown.status === 404 && unknown.body.startsWith('unknown_connection'), `unknown token: ${unknown.status} ${unknown.body}`);
      expectEqual((await send({}, '{"t":"ping","id":1}')).status, 404, 'status without a token');
      const large = await send({ 'pushwire-connection': peer.token }, `{"t":"msg","s":1,"d":"${'x'.repeat(max)}"}`);
      expect(large.status === 413 && large.body.startsWith('too_large'), `oversized body: ${large.status} ${large.body}`);
      expectEqual((await send({ 'pushwire-connection': peer.token }, '', 'GET')).status, 405, 'status for GET');
      await sleep(50);
      expectEqual(peer.frames('err').length, 0, 'errors: nothing of the oversized body is handled');
    },
  },
  {
    id: 'SE2',
    title: 'the SSE response: 200, event-stream headers, first the comment ": pushwire"',
    scope: 'sse',
    async run(t) {
      const peer = asSse(await t.handshake());
      const h = peer.openHeaders;
      expect(String(h['content-type']).startsWith('text/event-stream'), `content-type ${h['content-type']}`);
      expect(String(h['cache-control']).includes('no-cache'), `cache-control ${h['cache-control']}`);
      expectEqual(h['x-accel-buffering'], 'no', 'X-Accel-Buffering');
      expectEqual(peer.comments[0], 'pushwire', 'first comment');
    },
  },
  {
    id: 'SE3',
    title: 'each server frame is one event with one data: line, no event: and no id:',
    scope: 'sse',
    async run(t) {
      const peer = asSse(await t.handshake());
      await t.subscribe(peer, 1, t.channel());
      await t.acked(peer, 1);
      for (const lines of peer.rawEvents) {
        const fields = lines.filter((line) => !line.startsWith(':'));
        expect(fields.length === 1 && fields[0]!.startsWith('data: '), `an event must be one data: line: ${JSON.stringify(lines)}`);
      }
    },
  },
  {
    id: 'SE4',
    title: 'an idle SSE stream gets ": ka" keepalive comments every sseKeepalive ms',
    scope: 'sse',
    control: true,
    async run(t) {
      const interval = t.config.sseKeepalive;
      if (interval === undefined || interval > 5_000) throw new Skip('the keepalive interval is unknown or too long to wait for');
      const peer = asSse(await t.handshake());
      await peer.until(() => peer.comments.includes('ka'), 'a keepalive comment', 2 * interval + 1_000);
    },
  },
  {
    id: 'SE5',
    title: 'the stream ends after a close frame',
    scope: 'sse',
    async run(t) {
      const peer = asSse(await t.handshake());
      await peer.send({ t: 'bye' });
      await peer.waitFor((f) => f.t === 'close', 'close frame');
      await peer.until(() => peer.rawEvents.length > 0 && peer.received.at(-1)!.frame.t === 'close', 'close last');
    },
  },
  {
    id: 'LP9',
    title: 'a long-polling client that stops polling fills its session buffer and is evicted (4002), before its poll queue overflows',
    scope: 'long-polling',
    control: true,
    async run(t) {
      const frames = t.config.outboundFrames;
      if (frames > 2_000) throw new Skip(`an outbound buffer of ${frames} frames is too large to fill quickly`);
      const peer = asPoll(t.open({ t: 'hello', v: 1 }, { manualPolls: true }));
      await peer.opened();
      const ch = t.channel();
      await peer.send({ t: 'sub', s: 1, ch });
      await peer.poll();
      await t.control.publish(ch, 'x', frames + 5);
      for (let polls = 0; polls < 20 && !peer.closed; polls++) {
        if ((await peer.poll()).status === 404) break;
      }
      expectEqual(peer.closed?.code, 4002, 'close code after the client stopped polling');
    },
  },
  {
    id: 'LP2',
    title: 'a poll with a bad Pushwire-Received → 400; an unknown token → 404; an SSE token → 400',
    scope: 'long-polling',
    async run(t) {
      const peer = asPoll(t.open({ t: 'hello', v: 1 }, { manualPolls: true }));
      await peer.opened();
      expectEqual((await peer.poll('-1')).status, 400, 'status for Pushwire-Received -1');
      expectEqual((await peer.poll('abc')).status, 400, 'status for Pushwire-Received abc');
      const unknown = await fetchText(`${t.kit.url}/poll`, {
        method: 'GET',
        headers: { 'pushwire-connection': 'nope', 'pushwire-received': '0' },
      });
      expectEqual(unknown.status, 404, 'status for an unknown token');
      if (!t.kit.offered.includes('sse')) return;
      const sse = asSse(t.open({ t: 'hello', v: 1 }, {}, 'sse'));
      await sse.opened();
      const wrong = await fetchText(`${t.kit.url}/poll`, {
        method: 'GET',
        headers: { 'pushwire-connection': sse.token, 'pushwire-received': '0' },
      });
      expectEqual(wrong.status, 400, 'status for the token of an SSE connection');
    },
  },
  {
    id: 'LP3',
    title: 'a poll with nothing to send is answered 204 after pollTimeout',
    scope: 'long-polling',
    control: true,
    async run(t) {
      const timeout = t.config.pollTimeout;
      if (timeout > 5_000) throw new Skip(`pollTimeout ${timeout} ms is too long to wait for`);
      const peer = asPoll(t.open({ t: 'hello', v: 1 }, { manualPolls: true }));
      await peer.opened();
      // A heartbeat ping may fill a poll; the first poll that found nothing to send must wait pollTimeout.
      for (let i = 0; i < 6; i++) {
        await peer.send({ t: 'ack', n: 0 }); // a sign of life that asks for no answer (SC3)
        const start = Date.now();
        const answer = await peer.poll();
        const took = Date.now() - start;
        if (answer.status === 200) {
          expect(onlyPings(answer.body), `an idle connection's poll carried ${answer.body}`);
          continue;
        }
        expectEqual(answer.status, 204, 'status of an empty poll');
        expect(took >= timeout - 100 && took <= timeout + 2_000, `answered after ${took} ms; pollTimeout is ${timeout}`);
        return;
      }
      throw new Error('every poll carried a ping: pollTimeout must be shorter than hb for this check');
    },
  },
  {
    id: 'LP4',
    title: 'a batch: 200, application/x-ndjson, Pushwire-Batch 1, 2, 3…, frames joined by \\n, no-store',
    scope: 'long-polling',
    async run(t) {
      const peer = asPoll(t.open({ t: 'hello', v: 1 }, { manualPolls: true }));
      await peer.opened();
      await peer.send({ t: 'sub', s: 1, ch: t.channel() }, { t: 'sub', s: 2, ch: t.channel() });
      const second = await peer.poll();
      const first = peer.answers[0]!;
      for (const [n, answer] of [
        [1, first],
        [2, second],
      ] as const) {
        expectEqual(answer.status, 200, `status of batch ${n}`);
        expect(String(answer.headers['content-type']).startsWith('application/x-ndjson'), `content-type ${answer.headers['content-type']}`);
        expectEqual(answer.headers['pushwire-batch'], String(n), 'Pushwire-Batch');
        expectEqual(answer.headers['cache-control'], 'no-store', 'Cache-Control');
        expect(!answer.body.endsWith('\n'), 'no newline after the last frame');
      }
      expectEqual(
        second.body
          .split('\n')
          .map((line) => (JSON.parse(line) as { t: string }).t)
          .filter((type) => type === 'subd').length,
        2,
        'subd frames in batch 2',
      );
    },
  },
  {
    id: 'LP5',
    title: 'a second poll ends the waiting one with 204',
    scope: 'long-polling',
    async run(t) {
      const peer = asPoll(t.open({ t: 'hello', v: 1 }, { manualPolls: true }));
      await peer.opened();
      // A heartbeat ping may answer the first poll before the second arrives: then try again.
      for (let i = 0; i < 5; i++) {
        const waiting = peer.poll();
        await sleep(50);
        const second = peer.poll();
        const first = await waiting;
        if (first.status === 200 && onlyPings(first.body)) {
          await second;
          continue;
        }
        expectEqual(first.status, 204, 'status of the first poll');
        await peer.send({ t: 'ping', id: 5 });
        expectEqual((await second).status, 200, 'status of the second poll');
        return;
      }
      throw new Error('every first poll was answered by a heartbeat ping: pollTimeout must be shorter than hb for this check');
    },
  },
  {
    id: 'LP6',
    title: 'a poll that has not received batch n gets the same batch again, byte for byte',
    scope: 'long-polling',
    async run(t) {
      const peer = asPoll(t.open({ t: 'hello', v: 1 }, { manualPolls: true }));
      await peer.opened();
      await peer.send({ t: 'sub', s: 1, ch: t.channel() });
      const batch2 = await peer.poll(1);
      const again = await peer.poll(1);
      expectEqual([again.status, again.headers['pushwire-batch'], again.body], [200, '2', batch2.body], 'the repeated batch');
    },
  },
  {
    id: 'LP10',
    title: 'the close frame waits for the next poll; a poll after it gets 404',
    scope: 'long-polling',
    async run(t) {
      const peer = asPoll(t.open({ t: 'hello', v: 1 }, { manualPolls: true }));
      await peer.opened();
      await peer.send({ t: 'bye' });
      await sleep(50);
      const last = await peer.poll();
      expect(
        last.status === 200 && last.body.includes('"t":"close"'),
        `the next poll must carry the close frame: ${last.status} ${last.body}`,
      );
      expectEqual((await peer.poll()).status, 404, 'status of a poll after the close');
    },
  },
  {
    id: 'TR1',
    title: 'a session opened on one transport resumes on every other',
    scope: 'each',
    control: true,
    async run(t) {
      const others = t.kit.offered.filter((name) => name !== t.transport);
      if (others.length === 0) throw new Skip('the server offers one transport');
      const first = await t.subscribedSession();
      const ch = first.ch;
      let peer = first.peer;
      let seq = 0;
      for (const other of others) {
        peer.cut();
        await t.control.publish(ch, ++seq);
        const next = await t.resume(peer, undefined, other);
        expect(next.welcome()!.resumed === true, `resume on ${other} must continue the session`);
        await next.waitFor((f) => f.t === 'm' && f.q === seq, `message ${seq} on ${other}`);
        peer = next;
      }
    },
  },
];
