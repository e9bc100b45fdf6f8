import { type CheckRun, type ServerCheck, expect, expectEqual, Skip, sleep } from '../check.js';
import { EventStreamReader } from '../event-stream.js';

function stream(t: CheckRun, query: string, headers: Record<string, string> = {}, method = 'GET'): EventStreamReader {
  const reader = new EventStreamReader(`${t.kit.url}/events?${query}`, headers, method);
  t.onEnd(() => reader.close());
  return reader;
}

/** Section 11, channel event stream (`GET {path}/events`). */
export const eventStreamChecks: ServerCheck[] = [
  {
    id: 'EV1',
    title: 'rewind=N starts a fresh stream with the last N messages',
    scope: 'once',
    control: true,
    async run(t) {
      const ch = t.channel();
      await t.control.publish(ch, { n: 1 }, 5);
      const reader = stream(t, `channel=${encodeURIComponent(ch)}&rewind=2`);
      await reader.until(() => reader.events.filter((e) => e.event === 'message').length === 2, 'two messages', t.kit.timeoutMs);
      expectEqual(
        reader.events.filter((e) => e.event === 'message').map((e) => e.id?.split(':').at(-1)),
        ['4', '5'],
        'message ids',
      );
    },
  },
  {
    id: 'EV2',
    title: 'Last-Event-ID <epoch>:<seq> resumes after that message',
    scope: 'once',
    control: true,
    async run(t) {
      const ch = t.channel();
      const { epoch } = await t.control.publish(ch, 'x', 4);
      const reader = stream(t, `channel=${encodeURIComponent(ch)}`, { 'last-event-id': `${epoch}:2` });
      await reader.until(() => reader.events.filter((e) => e.event === 'message').length === 2, 'messages 3 and 4', t.kit.timeoutMs);
      expectEqual(
        reader.events.filter((e) => e.event === 'message').map((e) => e.id),
        [`${epoch}:3`, `${epoch}:4`],
        'message ids',
      );
      expectEqual(reader.events[0]!.event, 'subscribed', 'first event');
      expectEqual((JSON.parse(reader.events[0]!.data) as { status: string }).status, 'recovered', 'subscribed status');
    },
  },
  {
    id: 'EV3',
    title: 'bad requests: 400 bad_channel, 400 bad_frame (rewind, Last-Event-ID), 405 for POST',
    scope: 'once',
    async run(t) {
      const cases: [string, Record<string, string>, string, number, string][] = [
        ['', {}, 'GET', 400, 'bad_channel'],
        ['channel=a%20b', {}, 'GET', 400, 'bad_channel'],
        ['channel=ok&rewind=-1', {}, 'GET', 400, 'bad_frame'],
        ['channel=ok', { 'last-event-id': 'no-colon' }, 'GET', 400, 'bad_frame'],
        ['channel=ok', {}, 'POST', 405, ''],
      ];
      for (const [query, headers, method, status, prefix] of cases) {
        const reader = stream(t, query, headers, method);
        await reader.until(() => reader.ended, `the answer to ${method} ?${query}`, t.kit.timeoutMs);
        expect(
          reader.status === status && reader.body.startsWith(prefix),
          `${method} ?${query} ${JSON.stringify(headers)}: expected ${status} ${prefix}, got ${reader.status} ${reader.body.slice(0, 80)}`,
        );
      }
    },
  },
  {
    id: 'EV4',
    title: 'the stream: 200, text/event-stream, the comment first, retry: 1000',
    scope: 'once',
    async run(t) {
      const reader = stream(t, `channel=${encodeURIComponent(t.channel())}`);
      await reader.until(() => reader.events.length > 0, 'the subscribed event', t.kit.timeoutMs);
      expectEqual(reader.status, 200, 'status');
      expect(String(reader.headers['content-type']).startsWith('text/event-stream'), `content-type ${reader.headers['content-type']}`);
      expect(
        reader.body.startsWith(': pushwire channel stream\n'),
        `the body must start with the comment: ${JSON.stringify(reader.body.slice(0, 60))}`,
      );
      expectEqual(reader.retry, '1000', 'retry');
    },
  },
  {
    id: 'EV5',
    title: 'events: message (id epoch:seq, data = payload), subscribed/reset with status, epoch, seq, head',
    scope: 'once',
    control: true,
    async run(t) {
      const ch = t.channel();
      const reader = stream(t, `channel=${encodeURIComponent(ch)}`);
      await reader.until(() => reader.events.length === 1, 'subscribed', t.kit.timeoutMs);
      const { epoch, seq } = await t.control.publish(ch, { hello: 'wörld' });
      await reader.until(() => reader.events.length === 2, 'the message', t.kit.timeoutMs);
      const [subscribed, message] = reader.events;
      const data = JSON.parse(subscribed!.data) as Record<string, unknown>;
      expectEqual([subscribed!.event, data.status, data.epoch, data.seq, data.head], ['subscribed', 'new', epoch, 0, 0], 'subscribed');
      expectEqual(subscribed!.id, `${epoch}:0`, 'subscribed id');
      expectEqual([message!.event, message!.id, JSON.parse(message!.data)], ['message', `${epoch}:${seq}`, { hello: 'wörld' }], 'message');
    },
  },
  {
    id: 'EV6',
    title: 'the first event is subscribed, or — when Last-Event-ID cannot be replayed — reset, first and alone',
    scope: 'once',
    control: true,
    async run(t) {
      const history = t.config.historyMessages;
      if (history === null || history > 5_000) throw new Skip('the history limit is unknown or too large to overflow quickly');
      const ch = t.channel();
      const { epoch } = await t.control.publish(ch, 'x', history + 3);
      const reader = stream(t, `channel=${encodeURIComponent(ch)}`, { 'last-event-id': `${epoch}:1` });
      await reader.until(() => reader.events.length >= 1, 'the first event', t.kit.timeoutMs);
      await sleep(100);
      expectEqual(reader.events[0]!.event, 'reset', 'first event');
      expect(
        !reader.events.some((e) => e.event === 'subscribed'),
        `no subscribed event may accompany the reset: ${JSON.stringify(reader.events.map((e) => e.event))}`,
      );
      const other = stream(t, `channel=${encodeURIComponent(ch)}`, { 'last-event-id': 'gone:epoch:3' });
      await other.until(() => other.events.length >= 1, 'the first event for another epoch', t.kit.timeoutMs);
      expectEqual(other.events[0]!.event, 'reset', 'first event for an id of another epoch (split at the last colon)');
    },
  },
];
