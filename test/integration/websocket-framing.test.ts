import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '../../src/protocol/version.js';
import { closeAfterTest, closeAll } from '../support/close-after-test.js';
import { startTestServer } from '../support/server-harness.js';
import { waitFor } from '../support/wait.js';

// The WebSocket transport frames each broadcast frame once and writes the same bytes to every socket,
// corking a socket for the rest of a tick once it writes twice in it. These tests read the frames with
// `ws`'s own parser on the client side, so a wrong header or a torn write fails them. The other way, a
// client's message may carry several frames separated by `\n`, like an HTTP body: the reference client
// sends its hello and pipelined subscriptions as one message (one write).

afterEach(closeAll);

interface RawClient {
  socket: WebSocket;
  frames: Array<Record<string, unknown>>;
  texts: string[];
  send(frame: object): void;
}

/** A bare WebSocket speaking the protocol by hand: hello, then a subscription to `channel`. */
async function rawSubscriber(url: string, channel: string): Promise<RawClient> {
  const socket = closeAfterTest(new WebSocket(`${url.replace(/^http/, 'ws')}/ws`), (raw) => raw.terminate());
  const client: RawClient = { socket, frames: [], texts: [], send: (frame) => socket.send(JSON.stringify(frame)) };
  socket.on('message', (data, isBinary) => {
    expect(isBinary).toBe(false);
    const text = data.toString();
    client.texts.push(text);
    client.frames.push(JSON.parse(text) as Record<string, unknown>);
  });
  await new Promise((resolve) => socket.once('open', resolve));
  client.send({ t: 'hello', v: PROTOCOL_VERSION });
  client.send({ t: 'sub', s: 1, ch: channel });
  await waitFor(() => client.frames.some((f) => f.t === 'subd'), 'subscription confirmed');
  return client;
}

const messages = (client: RawClient): Array<Record<string, unknown>> => client.frames.filter((f) => f.t === 'm');

describe('WebSocket broadcast framing', () => {
  it('delivers frames of every length class (7-bit, 16-bit and 64-bit lengths) with multi-byte UTF-8 intact to every subscriber', async () => {
    const server = await startTestServer();
    const a = await rawSubscriber(server.url, 'news');
    const b = await rawSubscriber(server.url, 'news');
    const payloads = ['é', 'x'.repeat(120), 'é😀'.repeat(40), 'y'.repeat(65_530), 'z😀'.repeat(30_000)];
    for (const payload of payloads) await server.pushwire.publish('news', payload);
    await waitFor(() => messages(a).length === payloads.length && messages(b).length === payloads.length, 'every payload at both');
    expect(messages(a).map((m) => m.d)).toEqual(payloads);
    expect(messages(b).map((m) => m.d)).toEqual(payloads);
    // The same bytes for every subscriber.
    expect(a.texts.filter((t) => t.startsWith('{"t":"m"'))).toEqual(b.texts.filter((t) => t.startsWith('{"t":"m"')));
  });

  it('delivers a burst published in one tick complete and in order, with control frames answered in between', async () => {
    const server = await startTestServer();
    const client = await rawSubscriber(server.url, 'burst');
    const count = 2_000;
    for (let i = 1; i <= count; i++) void server.pushwire.publish('burst', { i, pad: 'p'.repeat(i % 300) });
    client.send({ t: 'ping', id: 7 });
    for (let i = count + 1; i <= count + 100; i++) void server.pushwire.publish('burst', { i });
    await waitFor(() => messages(client).length === count + 100, 'the whole burst');
    expect(messages(client).map((m) => (m.d as { i: number }).i)).toEqual(Array.from({ length: count + 100 }, (_, k) => k + 1));
    expect(messages(client).map((m) => m.q)).toEqual(Array.from({ length: count + 100 }, (_, k) => k + 1));
    await waitFor(() => client.frames.some((f) => f.t === 'pong' && f.id === 7), 'pong');
  });

  it('keeps delivering to the other subscribers while one connection closes mid-stream', async () => {
    const server = await startTestServer();
    const leaving = await rawSubscriber(server.url, 'news');
    const staying = await rawSubscriber(server.url, 'news');
    leaving.socket.close(1000);
    for (let i = 1; i <= 50; i++) void server.pushwire.publish('news', i);
    await waitFor(() => messages(staying).length === 50, 'the remaining subscriber gets everything');
    expect(messages(staying).map((m) => m.d)).toEqual(Array.from({ length: 50 }, (_, k) => k + 1));
  });
});

async function rawSocket(url: string): Promise<{ socket: WebSocket; frames: Array<Record<string, unknown>> }> {
  const socket = closeAfterTest(new WebSocket(`${url.replace(/^http/, 'ws')}/ws`), (raw) => raw.terminate());
  const frames: Array<Record<string, unknown>> = [];
  socket.on('message', (data) => frames.push(JSON.parse(data.toString()) as Record<string, unknown>));
  await new Promise((resolve) => socket.once('open', resolve));
  return { socket, frames };
}

describe('several client frames in one WebSocket message', () => {
  it('handles a hello followed by subscriptions in one message, in order, as if each had its own message', async () => {
    const server = await startTestServer();
    const { socket, frames } = await rawSocket(server.url);
    const batch = [
      { t: 'hello', v: PROTOCOL_VERSION },
      { t: 'sub', s: 1, ch: 'a' },
      { t: 'sub', s: 2, ch: 'b' },
    ];
    socket.send(batch.map((frame) => JSON.stringify(frame)).join('\n'));
    await waitFor(() => frames.some((frame) => frame.t === 'ack' && frame.s === 2), 'both subscriptions acknowledged');
    expect(frames[0]).toMatchObject({ t: 'welcome', resumed: false });
    expect(frames.filter((frame) => frame.t === 'subd').map((frame) => frame.ch)).toEqual(['a', 'b']);
    await server.pushwire.publish('b', 'live');
    await waitFor(() => frames.some((frame) => frame.t === 'm'), 'a message on b');
    expect(frames.filter((frame) => frame.t === 'm')).toMatchObject([{ ch: 'b', d: 'live' }]);
  });

  it('refuses a bad frame inside a batch on its own, and still handles the frames around it', async () => {
    const server = await startTestServer();
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
