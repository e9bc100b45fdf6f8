import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { closeAfterTest, closeAll } from '../support/close-after-test.js';
import { startTestServer } from '../support/server-harness.js';
import { delay, waitFor } from '../support/wait.js';

const SESSIONS = 5_000;
const LISTENERS = 100;
const BROADCASTS = 20;

afterAll(closeAll);

interface Peer {
  socket: WebSocket;
  welcomed: boolean;
  messages: number;
  refused: number;
}

/** A bare protocol peer: hello, then counts channel messages and refusals. Cheaper than a full client. */
function peer(url: string, onReady: () => void): Peer {
  const socket = closeAfterTest(new WebSocket(`${url.replace(/^http/, 'ws')}/ws`), (raw) => raw.terminate());
  const state: Peer = { socket, welcomed: false, messages: 0, refused: 0 };
  socket.on('error', () => {});
  socket.on('open', () => socket.send('{"t":"hello","v":1}'));
  socket.on('message', (data) => {
    const text = data.toString();
    if (text.startsWith('{"t":"welcome"')) {
      state.welcomed = true;
      onReady();
    } else if (text.startsWith('{"t":"m"')) state.messages++;
    else if (text.includes('"rate_limited"')) state.refused++;
  });
  return state;
}

describe('load', () => {
  it(`holds ${SESSIONS.toLocaleString('en')} concurrent sessions while a flood from one client is throttled without hurting the others`, async () => {
    const server = await startTestServer({
      canPublish: () => true,
      limits: { framesPerSecond: 200, frameBurst: 500, maxSessionsPerAddress: SESSIONS + 10 },
    });
    const peers: Peer[] = [];
    // Connect in waves, so the test measures holding sessions rather than the accept backlog.
    for (let wave = 0; wave < SESSIONS / 250; wave++) {
      let ready = 0;
      for (let i = 0; i < 250; i++) peers.push(peer(server.url, () => ready++));
      await waitFor(() => ready === 250, `wave ${wave} welcomed`, 30_000);
    }
    expect(server.pushwire.stats().sessions).toBe(SESSIONS);

    const listeners = peers.slice(0, LISTENERS);
    listeners.forEach((p) => p.socket.send('{"t":"sub","s":1,"ch":"calm"}'));
    await waitFor(() => server.pushwire.stats().channels === 1, 'listeners subscribed');
    await delay(100);

    let flooderReady = false;
    const flooder = peer(server.url, () => (flooderReady = true));
    await waitFor(() => flooderReady, 'flooder welcomed');
    let s = 0;
    const flood = setInterval(() => {
      for (let i = 0; i < 500 && flooder.socket.readyState === WebSocket.OPEN; i++)
        flooder.socket.send(`{"t":"pub","s":${++s},"ch":"flood","d":${s}}`);
    }, 5);

    for (let i = 1; i <= BROADCASTS; i++) {
      await server.pushwire.publish('calm', i);
      await delay(10);
    }
    await waitFor(() => listeners.every((p) => p.messages === BROADCASTS), 'every listener got every broadcast', 30_000);
    clearInterval(flood);

    const stats = server.pushwire.stats();
    expect(stats.counters.limitHits.rate).toBeGreaterThan(0);
    expect(flooder.refused > 0 || flooder.socket.readyState !== WebSocket.OPEN).toBe(true);
    expect(stats.sessions).toBeGreaterThanOrEqual(SESSIONS);
    console.log(
      `load: ${stats.sessions} sessions held; flooder sent ${s} frames, ${stats.counters.limitHits.rate} refused by the rate limit; ` +
        `${LISTENERS} listeners each got ${BROADCASTS}/${BROADCASTS}; heap ${Math.round(process.memoryUsage().heapUsed / 2 ** 20)} MiB`,
    );
  }, 120_000);
});
