// @vitest-environment node
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connect, type ReconnectInfo, type WebSocketConstructor, websocket } from '../../../src/client/index.js';
import { closeAfterTest, closeAll } from '../../support/close-after-test.js';

// Type check (tsc): both real socket classes fit the WebSocket option without a cast.
void ([WebSocket, globalThis.WebSocket] satisfies WebSocketConstructor[]);

/**
 * In Node the client runs on the `ws` package, whose sockets are EventEmitters: an 'error' event with no
 * listener throws and takes the process down. A failed connection attempt emits 'error' before 'close'.
 * No Pushwire server here: a plain TCP listener on 127.0.0.1 that hangs up on every connection.
 */
afterEach(closeAll);

async function hangUpServer(): Promise<number> {
  const server = closeAfterTest(
    createServer((socket) => socket.destroy()),
    (tcp) => new Promise((resolve) => tcp.close(resolve)),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('no address');
  return address.port;
}

describe('WebSocket transport on Node `ws`', () => {
  it('survives failed connection attempts (ws emits error before close) and keeps retrying', async () => {
    const port = await hangUpServer();
    const attempts: ReconnectInfo[] = [];
    const client = closeAfterTest(
      connect(`http://127.0.0.1:${port}/pushwire`, { transports: [websocket], WebSocket, reconnect: { min: 5, max: 5 } }),
    );
    await new Promise<void>((resolve) => {
      client.on('reconnecting', (info) => {
        attempts.push(info);
        if (info.attempt === 3) resolve();
      });
    });
    expect(attempts.map((a) => a.code)).toEqual([1006, 1006, 1006]);
    expect(client.state).toBe('connecting');
  });
});
