import { expect, expectEqual } from '../check.js';
import { PollPipe } from './http-pipes.js';
import { type ClientCheck, connected, reconnected, result, welcome } from './script-steps.js';

/** Client checks of the HTTP transports (PROTOCOL.md section 11): the upstream POSTs and long-polling's batches. */

/** Frames of a POST body, parsed. */
function framesOf(body: string): { t: string; s?: number; d?: unknown }[] {
  return body
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { t: string; s?: number; d?: unknown });
}

export const httpChecks: ClientCheck[] = [
  {
    id: 'UP1',
    title:
      'upstream POSTs: the connection header, text/plain, one in flight, the frames meanwhile in the next one in order, within Pushwire-Max-Body',
    on: ['sse', 'long-polling'],
    async run(t) {
      t.server.maxBody = 400;
      t.server.postDelay = 400;
      const connection = await connected(t, { max: 400 });
      t.adapter.command({ cmd: 'publish', id: 1, ch: 'room', d: 'x'.repeat(60) });
      await connection.until(() => connection.posts.length === 1, 'the first POST');
      for (let id = 2; id <= 8; id++) t.adapter.command({ cmd: 'publish', id, ch: 'room', d: 'x'.repeat(60) });
      await connection.until(() => connection.sent('pub').length === 8, 'eight pub frames');
      await connection.until(() => connection.posts.every((post) => post.answeredAt > 0), 'every POST answered', 10_000);
      const token = connection.posts[0]!.headers['pushwire-connection'];
      expect(typeof token === 'string' && token.startsWith('script-'), `Pushwire-Connection of the POST: ${String(token)}`);
      connection.posts.forEach((post, index) => {
        expectEqual(post.headers['pushwire-connection'], token, `Pushwire-Connection of POST ${index + 1}`);
        expectEqual(
          String(post.headers['content-type']).toLowerCase().replace(/\s/g, ''),
          'text/plain;charset=utf-8',
          `Content-Type of POST ${index + 1}`,
        );
        const bytes = Buffer.byteLength(post.body);
        expect(bytes <= t.server.maxBody, `POST ${index + 1} has ${bytes} bytes, over Pushwire-Max-Body ${t.server.maxBody}`);
        const before = connection.posts[index - 1];
        if (before) expect(post.arrivedAt >= before.answeredAt, `POST ${index + 1} was sent while POST ${index} was in flight`);
      });
      const pubs = connection.posts.flatMap((post) => framesOf(post.body)).filter((f) => f.t === 'pub');
      expectEqual(
        pubs.map((f) => f.s),
        [1, 2, 3, 4, 5, 6, 7, 8],
        'pub frames across the POSTs, in order',
      );
      // The seven publishes made while the first POST was in flight went together, not one POST each.
      expect(connection.posts.length <= 4, `${connection.posts.length} POSTs for 8 frames of ~100 bytes under a 400-byte limit`);
    },
  },
  {
    id: 'UP4',
    title: 'a failed POST fails the pipe: the client resumes on a new connection and resends what is unacknowledged',
    on: ['sse', 'long-polling'],
    async run(t) {
      t.server.failPosts = 1;
      const connection = await connected(t);
      t.adapter.command({ cmd: 'publish', id: 1, ch: 'room', d: 'lost on the way' });
      await connection.until(() => connection.posts.some((post) => post.answeredAt > 0), 'the failed POST');
      const { connection: second, hello } = await reconnected(t);
      expectEqual([hello.sid, hello.secret], ['S1', 'K1'], 'the hello after the failed POST resumes');
      second.send(welcome({ resumed: true, rx: hello.rx }));
      const pub = await second.waitFor((f) => f.t === 'pub', 'the publish sent again');
      expectEqual([pub.s, pub.d], [1, 'lost on the way'], 'the resent pub');
      second.send({ t: 'ack', s: 1 });
      expectEqual((await result(t, 1)).ok, true, 'the publish succeeds');
    },
  },
  {
    id: 'LP7',
    title: 'long-polling: a repeated batch is ignored; a poll lost on the network is asked again at once, a second loss fails the pipe',
    on: ['long-polling'],
    async run(t) {
      const connection = await connected(t);
      const pipe = connection.pipe as PollPipe;
      connection.send({ t: 'msg', d: 'once' });
      await t.adapter.waitFor((e) => e.event === 'direct', 'the direct message');
      // The next poll gets the same batch again (same number): the client must not deliver it twice.
      pipe.repeatBatch = true;
      const polls = connection.polls.length;
      await connection.until(() => connection.polls.length >= polls + 2, 'a poll after the repeated batch');
      expectEqual(
        t.adapter.of('direct').map((e) => e.d),
        ['once'],
        'direct messages after a repeated batch',
      );
      const received = connection.polls.at(-1)!.received;
      expect(received !== undefined && Number(received) >= 2, `Pushwire-Received after two batches: ${String(received)}`);
      // One poll lost on the network: asked again at once, on the same connection.
      pipe.cutPolls = 1;
      const beforeCut = connection.polls.length;
      await connection.until(() => connection.polls.length >= beforeCut + 2, 'the poll asked again');
      const again = connection.polls[beforeCut + 1]!.at - connection.polls[beforeCut]!.at;
      expect(again < 1_000, `polled again ${again} ms after a lost poll`);
      connection.send({ t: 'msg', d: 'after the lost poll' });
      await t.adapter.until(() => t.adapter.of('direct').length === 2, 'the message after the lost poll');
      // Two in a row: the pipe fails and the session resumes on a new connection.
      pipe.cutPolls = 2;
      const { hello } = await reconnected(t);
      expectEqual([hello.sid, hello.rx], ['S1', 2], 'the resuming hello after two lost polls');
    },
  },
];
