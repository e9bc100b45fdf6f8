import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { CloseInfo, OpenInfo } from '../../src/client/index.js';
import { RedisBroker } from '../../src/server/broker/redis.js';
import type { ServerOptions } from '../../src/server/index.js';
import { openClient } from '../support/client-harness.js';
import { closeAfterTest, closeAll } from '../support/close-after-test.js';
import { useTestRedis } from '../support/redis-server.js';
import { startTestServer } from '../support/server-harness.js';
import { waitFor } from '../support/wait.js';

const redis = useTestRedis();
afterEach(closeAll);

/** Tokens name users; each user may read only their own private channel. */
const HOOKS: ServerOptions = {
  authorize: ({ auth }) => {
    const token = (auth as { token?: string } | undefined)?.token;
    return token === 'alice-token' || token === 'bob-token'
      ? { ok: true, user: { id: token.replace('-token', ''), token } }
      : { ok: false, reason: 'bad token' };
  },
  canSubscribe: (session, channel) => !channel.startsWith('private:') || channel === `private:${(session.user as { id: string }).id}`,
};

type Frame = Record<string, unknown>;

/**
 * A raw WebSocket that sends `hello` (and any frames after it) and collects what comes back: the
 * frames, until `enough` says so or the server closes (its close code; 0 if still open), at most 10 s.
 */
async function rawConnection(
  url: string,
  frames: object[],
  enough: (got: Frame[]) => boolean = () => false,
): Promise<{ frames: Frame[]; code: number }> {
  const socket = closeAfterTest(new WebSocket(`${url.replace(/^http/, 'ws')}/ws`), (ws) => ws.terminate());
  const received: Frame[] = [];
  await new Promise((resolve) => socket.once('open', resolve));
  const code = await new Promise<number>((resolve) => {
    const timer = setTimeout(() => resolve(0), 10_000);
    socket.on('message', (data) => {
      received.push(JSON.parse(String(data)) as Frame);
      if (enough(received)) resolve(0);
    });
    socket.once('close', (closeCode) => {
      clearTimeout(timer);
      resolve(closeCode);
    });
    socket.send(frames.map((frame) => JSON.stringify(frame)).join('\n'));
  });
  return { frames: received, code };
}

const has = (type: string) => (got: Frame[]) => got.some((frame) => frame.t === type);

/** A session of Alice's, opened over a raw connection (its secret in hand, as if stolen). */
async function aliceSession(url: string): Promise<{ sid: string; secret: string }> {
  const [welcome] = (await rawConnection(url, [{ t: 'hello', v: 1, auth: { token: 'alice-token' } }], has('welcome'))).frames;
  expect(welcome).toMatchObject({ t: 'welcome' });
  return { sid: welcome!.sid as string, secret: welcome!.secret as string };
}

describe('a resume re-authorizes and keeps the session’s user', () => {
  it('refuses to resume Alice’s session with Bob’s token (close 4201), so Bob never reads her private channel; her session goes on', async () => {
    const server = await startTestServer(HOOKS);
    const { sid, secret } = await aliceSession(server.url);
    const bob = await rawConnection(server.url, [
      { t: 'hello', v: 1, sid, secret, rx: 0, auth: { token: 'bob-token' } },
      { t: 'sub', s: 1, ch: 'private:alice' },
    ]);
    expect(bob.frames.filter((frame) => frame.t === 'welcome' || frame.t === 'subd')).toEqual([]);
    expect(bob.code).toBe(4201);
    expect(server.pushwire.stats().counters.limitHits.other_user).toBe(1);
    // Alice herself still resumes her session, and reads her channel.
    const herself = await rawConnection(
      server.url,
      [
        { t: 'hello', v: 1, sid, secret, rx: 0, auth: { token: 'alice-token' } },
        { t: 'sub', s: 1, ch: 'private:alice' },
      ],
      has('subd'),
    );
    expect(herself.frames[0]).toMatchObject({ t: 'welcome', resumed: true, sid });
    expect(herself.frames.find((frame) => frame.t === 'subd')).toMatchObject({ ch: 'private:alice', st: 'new' });
  });

  it('resumes when authorize names the same user again, even if the rest of its answer changed', async () => {
    let round = 0;
    const server = await startTestServer({ ...HOOKS, authorize: () => ({ ok: true, user: { id: 'alice', round: ++round } }) });
    const [welcome] = (await rawConnection(server.url, [{ t: 'hello', v: 1 }], has('welcome'))).frames;
    const again = await rawConnection(
      server.url,
      [{ t: 'hello', v: 1, sid: welcome!.sid, secret: welcome!.secret, rx: 0 }],
      has('welcome'),
    );
    expect(again.frames[0]).toMatchObject({ t: 'welcome', resumed: true, sid: welcome!.sid });
  });

  it('a client whose credentials now name another user starts a new session after 4201, and reports the old one lost', async () => {
    const users: string[] = [];
    const server = await startTestServer({ ...HOOKS, onConnection: (session) => users.push((session.user as { id: string }).id) });
    let token = 'alice-token';
    const client = await openClient(server.url, { auth: () => ({ token }) });
    const first = client.sessionId;
    const opens: OpenInfo[] = [];
    const closes: CloseInfo[] = [];
    client.on('open', (info) => opens.push(info));
    client.on('close', (info) => closes.push(info));
    token = 'bob-token'; // the page switched accounts
    server.killConnections();
    await waitFor(() => opens.length > 0, 'open again');
    expect(opens[0]).toMatchObject({ resumed: false });
    expect(client.sessionId).not.toBe(first);
    expect(closes).toEqual([]);
    expect(users).toEqual(['alice', 'bob']);
    expect(server.pushwire.stats().counters.limitHits.other_user).toBe(1);
  });
});

describe.skipIf(!redis.available)('a resume on another node keeps the session’s user', () => {
  it('refuses Bob’s token for Alice’s session on another node, without taking it from the node that holds it', async () => {
    const prefix = redis.prefix('users');
    const a = await startTestServer({ ...HOOKS, broker: closeAfterTest(new RedisBroker({ url: redis.url, prefix })) });
    const b = await startTestServer({ ...HOOKS, broker: closeAfterTest(new RedisBroker({ url: redis.url, prefix })) });
    const { sid, secret } = await aliceSession(a.url);
    const bob = await rawConnection(b.url, [
      { t: 'hello', v: 1, sid, secret, rx: 0, auth: { token: 'bob-token' } },
      { t: 'sub', s: 1, ch: 'private:alice' },
    ]);
    expect(bob.code).toBe(4201);
    expect(bob.frames.filter((frame) => frame.t === 'welcome' || frame.t === 'subd')).toEqual([]);
    expect(a.pushwire.stats().counters.sessionsEnded.moved, 'node a was not asked to give the session up').toBe(0);
    // Alice takes it over on b with her own token.
    const herself = await rawConnection(b.url, [{ t: 'hello', v: 1, sid, secret, rx: 0, auth: { token: 'alice-token' } }], has('welcome'));
    expect(herself.frames[0]).toMatchObject({ t: 'welcome', resumed: true, resync: true, sid });
  });
});
