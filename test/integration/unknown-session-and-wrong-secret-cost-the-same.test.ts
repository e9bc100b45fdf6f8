import * as crypto from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RedisBroker } from '../../src/server/broker/redis.js';
import { closeAfterTest, closeAll } from '../support/close-after-test.js';
import { useTestRedis } from '../support/redis-server.js';
import { startTestServer } from '../support/server-harness.js';

// The server's hashing and comparison, counted: an unknown session and a wrong secret must do the same
// work (the protocol promises they can't be told apart, and timing is how they would be).
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof crypto>();
  return { ...real, createHash: vi.fn(real.createHash), timingSafeEqual: vi.fn(real.timingSafeEqual) };
});

const redis = useTestRedis();
afterEach(closeAll);

/** Opens a long-polling connection with `hello` and returns the frames of its first answer. */
async function handshake(url: string, hello: object): Promise<Array<Record<string, unknown>>> {
  const res = await fetch(`${url}/poll`, { method: 'POST', body: JSON.stringify(hello) });
  return (await res.text())
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A new session's id and secret, and a secret one character off. */
async function newSession(url: string): Promise<{ sid: string; secret: string; wrongSecret: string }> {
  const [welcome] = await handshake(url, { t: 'hello', v: 1 });
  const secret = welcome!.secret as string;
  return { sid: welcome!.sid as string, secret, wrongSecret: secret.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) };
}

/** How many SHA-256 hashes and constant-time comparisons `during` made. */
async function work(during: () => Promise<unknown>): Promise<{ sha256: number; compared: number }> {
  vi.mocked(crypto.createHash).mockClear();
  vi.mocked(crypto.timingSafeEqual).mockClear();
  await during();
  return {
    sha256: vi.mocked(crypto.createHash).mock.calls.filter(([algorithm]) => algorithm === 'sha256').length,
    compared: vi.mocked(crypto.timingSafeEqual).mock.calls.length,
  };
}

describe('resume secrets', () => {
  it('an unknown session and a wrong secret take the same path: both are hashed and compared in constant time', async () => {
    const server = await startTestServer();
    const { sid, secret, wrongSecret } = await newSession(server.url);

    const unknown = await work(() => handshake(server.url, { t: 'hello', v: 1, sid: 'A'.repeat(sid.length), secret, rx: 0 }));
    const wrong = await work(() => handshake(server.url, { t: 'hello', v: 1, sid, secret: wrongSecret, rx: 0 }));
    const right = await work(async () =>
      expect((await handshake(server.url, { t: 'hello', v: 1, sid, secret, rx: 0 }))[0]).toMatchObject({ resumed: true }),
    );

    expect(wrong).toEqual({ sha256: 2, compared: 1 });
    expect(unknown, 'an unknown session does the work of a wrong secret').toEqual(wrong);
    expect(right).toEqual(wrong);
  });
});

describe.skipIf(!redis.available)('resume secrets on a cluster', () => {
  it('a node looking for a session record does the same work whether the record exists or the secret is wrong', async () => {
    const prefix = redis.prefix('secrets');
    const [a, b] = [
      await startTestServer({ broker: closeAfterTest(new RedisBroker({ url: redis.url, prefix })) }),
      await startTestServer({ broker: closeAfterTest(new RedisBroker({ url: redis.url, prefix })) }),
    ];
    const { sid, secret, wrongSecret } = await newSession(a.url);

    // Node b holds neither: it checks the shared record (or its absence).
    const unknown = await work(() => handshake(b.url, { t: 'hello', v: 1, sid: 'A'.repeat(sid.length), secret, rx: 0 }));
    const wrong = await work(() => handshake(b.url, { t: 'hello', v: 1, sid, secret: wrongSecret, rx: 0 }));

    expect(wrong.compared).toBe(2); // its own sessions, then the record
    expect(unknown, 'an unknown session does the work of a wrong secret').toEqual(wrong);
  });
});
