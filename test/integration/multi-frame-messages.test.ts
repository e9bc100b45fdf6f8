import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '../../src/protocol/version.js';
import { startTestServer, type TestServer } from '../support/server-harness.js';
import { waitFor } from '../support/wait.js';

// A WebSocket message may carry several client frames separated by `\n`, like an HTTP body: the
// reference client sends its hello and pipelined subscriptions as one message (one write).

let server: TestServer | undefined;
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.terminate();
  await server?.close();
  server = undefined;
});

async function rawSocket(url: string): Promise<{ socket: WebSocket; frames: Array<Record<string, unknown>> }> {
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`);
  sockets.push(socket);
  const frames: Array<Record<string, unknown>> = [];
  socket.on('message', (data) => frames.push(JSON.parse(data.toString()) as Record<string, unknown>));
  await new Promise((resolve) => socket.once('open', resolve));
  return { socket, frames };
}

describe('several client frames in one WebSocket message', () => {
  it('handles a hello followed by subscriptions in one message, in order, as if each had its own message', async () => {
    server = await startTestServer();
    const { socket, frames } = await rawSocket(server.url);
    const batch = [{ t: 'hello', v: PROTOCOL_VERSION }, { t: 'sub', s: 1, ch: 'a' }, { t: 'sub', s: 2, ch: 'b' }];
    socket.send(batch.map((frame) => JSON.stringify(frame)).join('\n'));
    await waitFor(() => frames.some((frame) => frame.t === 'ack' && frame.s === 2), 'both subscriptions acknowledged');
    expect(frames[0]).toMatchObject({ t: 'welcome', resumed: false });
    expect(frames.filter((frame) => frame.t === 'subd').map((frame) => frame.ch)).toEqual(['a', 'b']);
    await server.pushwire.publish('b', 'live');
    await waitFor(() => frames.some((frame) => frame.t === 'm'), 'a message on b');
    expect(frames.filter((frame) => frame.t === 'm')).toMatchObject([{ ch: 'b', d: 'live' }]);
  });

  it('refuses a bad frame inside a batch on its own, and still handles the frames around it', async () => {
    server = await startTestServer();
    const { socket, frames } = await rawSocket(server.url);
    socket.send(JSON.stringify({ t: 'hello', v: PROTOCOL_VERSION }));
    await waitFor(() => frames.some((frame) => frame.t === 'welcome'), 'welcome');
    socket.send([JSON.stringify({ t: 'sub', s: 1, ch: 'a' }), '{"t":"sub","s":2', JSON.stringify({ t: 'sub', s: 3, ch: 'c' })].join('\n'));
    await waitFor(() => frames.some((frame) => frame.t === 'subd' && frame.ch === 'c'), 'the frame after the bad one handled');
    expect(frames.filter((frame) => frame.t === 'subd').map((frame) => frame.ch)).toEqual(['a', 'c']);
    expect(frames.filter((frame) => frame.t === 'err')).toMatchObject([{ code: 'bad_frame' }]);
    expect(socket.readyState).toBe(WebSocket.OPEN);
  });
});
