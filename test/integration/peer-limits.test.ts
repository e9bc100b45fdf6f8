import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from '../../src/server/index.js';
import { closeAll } from '../support/close-after-test.js';
import { rawPeer } from '../support/raw-peer.js';
import { startTestServer } from '../support/server-harness.js';
import { delay, waitFor } from '../support/wait.js';

afterEach(closeAll);

const refusedForRate = (frames: Array<Record<string, unknown>>): number =>
  frames.filter((f) => f.t === 'err' && f.code === 'rate_limited').length;

describe('before hello', () => {
  it('a peer sending pings before hello gets a few pongs, then is cut off with 4101', async () => {
    const server = await startTestServer();
    const peer = await rawPeer(server.url);
    for (let id = 0; id < 1_000 && peer.socket.readyState === peer.socket.OPEN; id++) peer.send({ t: 'ping', id });
    await waitFor(() => peer.closed !== undefined, 'the pinging peer cut off');
    expect(peer.closed?.code).toBe(4101);
    expect(peer.frames.filter((f) => f.t === 'pong').length).toBeLessThanOrEqual(8);
    expect(server.pushwire.stats().counters.limitHits.handshake_pings).toBe(1);
  });

  it('an upgrade probe (one ping before hello) is still answered, and the handshake after it works', async () => {
    const server = await startTestServer();
    const peer = await rawPeer(server.url);
    peer.send({ t: 'ping', id: 0 });
    await waitFor(() => peer.frames.some((f) => f.t === 'pong'), 'pong');
    expect(await peer.handshake()).toMatchObject({ t: 'welcome', resumed: false });
  });

  it('a hello over the max payload is refused on WebSocket with 1009, as over HTTP with 413', async () => {
    const server = await startTestServer({ maxPayload: 1_024 });
    const big = { t: 'hello', v: 1, auth: 'x'.repeat(1_500) }; // under the 2x that ws lets through
    const peer = await rawPeer(server.url);
    peer.send(big);
    await waitFor(() => peer.closed !== undefined, 'closed');
    expect(peer.closed?.code).toBe(1009);
    expect(peer.frames.some((f) => f.t === 'welcome')).toBe(false);
    const overHttp = await fetch(`${server.url}/poll`, { method: 'POST', body: JSON.stringify(big) });
    expect(overHttp.status).toBe(413);
  });
});

describe('the rate limit after hello', () => {
  it('a session that keeps sending over the frame rate is cut off with 4004, though a frame passes now and then', async () => {
    const server = await startTestServer({ canPublish: () => true, limits: { framesPerSecond: 100, frameBurst: 100 } });
    const peer = await rawPeer(server.url);
    await peer.handshake();
    let s = 0;
    // About 200 frames/s, twice the rate, for at most 10 s: each 100 ms refills 10 tokens and 20 frames come.
    for (let round = 0; round < 100 && peer.closed === undefined; round++) {
      for (let i = 0; i < 20; i++) peer.send({ t: 'pub', s: ++s, ch: 'flood', d: s });
      await delay(100);
    }
    expect(peer.closed?.code).toBe(4004);
    expect(refusedForRate(peer.frames)).toBeGreaterThan(50); // refused for about a burst's worth first
  });

  it('counts bytes: large frames under the frame rate are refused once the byte burst is spent', async () => {
    const server = await startTestServer({ canPublish: () => true, limits: { bytesPerSecond: 10_000, byteBurst: 70_000 } });
    const peer = await rawPeer(server.url);
    await peer.handshake();
    const payload = 'x'.repeat(20_000);
    for (let s = 1; s <= 10; s++) peer.send({ t: 'pub', s, ch: 'big', d: payload });
    await waitFor(() => peer.frames.some((f) => f.t === 'ack' && f.s === 10), 'all 10 answered');
    // 70,000 bytes of burst take three frames of ~20 KB; the other seven are refused.
    expect(refusedForRate(peer.frames)).toBe(7);
    expect(peer.closed).toBeUndefined();
  });

  it('refuses a byte burst smaller than the max payload at startup', async () => {
    expect(() => createServer({ maxPayload: 65_536, limits: { byteBurst: 1_000 } })).toThrow(/byteBurst/);
  });
});
