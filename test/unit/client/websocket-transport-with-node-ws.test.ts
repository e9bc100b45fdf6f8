// @vitest-environment node
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connect, type PushwireClient, type ReconnectInfo, type WebSocketConstructor, websocket } from '../../../src/client/index.js';

// Type check (tsc): both real socket classes fit the WebSocket option without a cast.
void ([WebSocket, globalThis.WebSocket] satisfies WebSocketConstructor[]);

/**
 * In Node the client runs on the `ws` package, whose sockets are EventEmitters: an 'error' event with no
 * listener throws and takes the process down. A failed connection attempt emits 'error' before 'close'.
 * No Pushwire server here: a plain TCP listener on 127.0.0.1 that hangs up on every connection.
 */
let server: Server | undefined;
let client: PushwireClient | undefined;

afterEach(async () => {
  client?.close();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
});

async function hangUpServer(): Promise<number> {
  server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('no address');
  return address.port;
}

describe('WebSocket transport on Node `ws`', () => {
  it('survives failed connection attempts (ws emits error before close) and keeps retrying', async () => {
    const port = await hangUpServer();
    const attempts: ReconnectInfo[] = [];
    await new Promise<void>((resolve) => {
      client = connect(`http://127.0.0.1:${port}/pushwire`, { transports: [websocket], WebSocket, reconnect: { min: 5, max: 5 } });
      client.on('reconnecting', (info) => {
        attempts.push(info);
        if (info.attempt === 3) resolve();
      });
    });
    expect(attempts.map((a) => a.code)).toEqual([1006, 1006, 1006]);
    expect(client!.state).toBe('connecting');
  });
});
