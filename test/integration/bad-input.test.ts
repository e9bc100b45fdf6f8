import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PushwireClient } from '../../src/client/index.js';
import { openClient } from '../support/client-harness.js';
import { closeAll } from '../support/close-after-test.js';
import { type RawPeer, rawPeer } from '../support/raw-peer.js';
import { startTestServer, type TestServer } from '../support/server-harness.js';
import { waitFor } from '../support/wait.js';

const errors = (peer: RawPeer): Array<Record<string, unknown>> => peer.frames.filter((f) => f.t === 'err');

let server: TestServer;
let bystander: PushwireClient;
let bystanderGot: number[];

beforeEach(async () => {
  server = await startTestServer({ maxPayload: 1024, handshakeTimeout: 200, canSubscribe: (_s, ch) => ch !== 'secret' });
  // A well-behaved session that must not notice anything of the abuse next to it.
  bystander = await openClient(server.url);
  bystanderGot = [];
  bystander.subscribe<number>('calm', (n) => bystanderGot.push(n));
  await waitFor(() => server.pushwire.stats().channels === 1, 'bystander subscribed');
});

afterEach(async () => {
  await server.pushwire.publish('calm', 1);
  await waitFor(() => bystanderGot.length === 1, 'bystander still served');
  expect(bystander.state).toBe('open');
  await closeAll();
});

describe('bad input gets a clear error and affects no other session', () => {
  it('malformed JSON → err bad_frame, and the connection keeps working', async () => {
    const peer = await rawPeer(server.url);
    await peer.handshake();
    peer.send('{not json');
    await waitFor(() => errors(peer).length === 1, 'error frame');
    expect(errors(peer)[0]).toMatchObject({ code: 'bad_frame', msg: 'frame is not valid JSON' });
    peer.send({ t: 'sub', s: 1, ch: 'ok' });
    await waitFor(() => peer.frames.some((f) => f.t === 'subd'), 'still serves');
    peer.socket.close();
  });

  it('unknown frame type → err unknown_type', async () => {
    const peer = await rawPeer(server.url);
    await peer.handshake();
    peer.send({ t: 'teleport' });
    await waitFor(() => errors(peer).length === 1, 'error frame');
    expect(errors(peer)[0]).toMatchObject({ code: 'unknown_type' });
    peer.socket.close();
  });

  it('an unknown frame type with a sequence number → err unknown_type naming it, before the ack that covers it', async () => {
    const peer = await rawPeer(server.url);
    await peer.handshake();
    peer.send({ t: 'teleport', s: 1 });
    peer.send({ t: 'sub', s: 2, ch: 'ok' });
    await waitFor(() => peer.frames.some((f) => f.t === 'ack' && f.s === 2), 'ack covering both');
    const error = peer.frames.findIndex((f) => f.t === 'err');
    expect(peer.frames[error]).toMatchObject({ code: 'unknown_type', s: 1 });
    expect(error).toBeLessThan(peer.frames.findIndex((f) => f.t === 'ack'));
    peer.send({ t: 'teleport', s: 1 });
    peer.send({ t: 'sub', s: 3, ch: 'ok2' });
    await waitFor(() => peer.frames.some((f) => f.t === 'ack' && f.s === 3), 'ack 3');
    expect(errors(peer)).toHaveLength(1); // the resent duplicate is only acknowledged again
    peer.socket.close();
  });

  it('a frame with a wrongly typed field → err bad_frame naming its sequence number', async () => {
    const peer = await rawPeer(server.url);
    await peer.handshake();
    peer.send({ t: 'sub', s: 1, ch: 'x', from: 'yesterday' });
    await waitFor(() => errors(peer).length === 1, 'error frame');
    expect(errors(peer)[0]).toMatchObject({ code: 'bad_frame', s: 1 });
    await waitFor(() => peer.frames.some((f) => f.t === 'ack' && f.s === 1), 'refused frame is still acknowledged');
    peer.socket.close();
  });

  it('a frame over the max payload → err too_large for that frame; far over it → close 1009', async () => {
    const peer = await rawPeer(server.url);
    await peer.handshake();
    peer.send({ t: 'pub', s: 1, ch: 'x', d: 'a'.repeat(1500) });
    await waitFor(() => errors(peer).length === 1, 'error frame');
    expect(errors(peer)[0]).toMatchObject({ code: 'too_large', s: 1 });
    peer.send({ t: 'pub', s: 2, ch: 'x', d: 'a'.repeat(5000) });
    await waitFor(() => peer.closed !== undefined, 'closed');
    expect(peer.closed!.code).toBe(1009);
  });

  it('the client refuses to send a frame over the max payload, with too_large, before it leaves', async () => {
    const client = await openClient(server.url);
    await expect(client.publish('x', 'a'.repeat(2000))).rejects.toMatchObject({ code: 'too_large' });
    expect(client.state).toBe('open');
  });

  it('wrong protocol version → close 4100 with a reason that names both versions', async () => {
    const peer = await rawPeer(server.url);
    peer.send({ t: 'hello', v: 99 });
    await waitFor(() => peer.closed !== undefined, 'closed');
    expect(peer.closed).toEqual({ code: 4100, reason: 'protocol version 99 is not supported; this server speaks version 1' });
  });

  it('a first frame that is not hello → close 4101', async () => {
    const peer = await rawPeer(server.url);
    peer.send({ t: 'sub', s: 1, ch: 'x' });
    await waitFor(() => peer.closed !== undefined, 'closed');
    expect(peer.closed!.code).toBe(4101);
  });

  it('no handshake within the handshake timeout → close 4003', async () => {
    const peer = await rawPeer(server.url);
    await waitFor(() => peer.closed !== undefined, 'closed', 2_000);
    expect(peer.closed!.code).toBe(4003);
  });

  it('a binary frame → close 1003', async () => {
    const peer = await rawPeer(server.url);
    await peer.handshake();
    peer.socket.send(Buffer.from([1, 2, 3]));
    await waitFor(() => peer.closed !== undefined, 'closed');
    expect(peer.closed!.code).toBe(1003);
  });

  it('an unknown session, or a known one with a wrong secret, gets a new session without revealing which', async () => {
    const first = await rawPeer(server.url);
    const welcome = await first.handshake();
    const unknown = await rawPeer(server.url);
    unknown.send({ t: 'hello', v: 1, sid: 'no-such-session', secret: 'guess', rx: 0 });
    const wrong = await rawPeer(server.url);
    wrong.send({ t: 'hello', v: 1, sid: welcome.sid, secret: 'guess', rx: 0 });
    await waitFor(() => unknown.frames.length > 0 && wrong.frames.length > 0, 'both answered');
    for (const peer of [unknown, wrong]) {
      expect(peer.frames[0]).toMatchObject({ t: 'welcome', resumed: false });
      expect(peer.frames[0]!.sid).not.toBe(welcome.sid);
    }
    expect(first.closed).toBeUndefined(); // the real session was not disturbed
    for (const peer of [first, unknown, wrong]) peer.socket.close();
  });

  it('subscribe without permission → err forbidden for that frame', async () => {
    const peer = await rawPeer(server.url);
    await peer.handshake();
    peer.send({ t: 'sub', s: 1, ch: 'secret' });
    await waitFor(() => errors(peer).length === 1, 'error frame');
    expect(errors(peer)[0]).toMatchObject({ code: 'forbidden', s: 1, ch: 'secret' });
    peer.socket.close();
  });

  it('an invalid channel name → err bad_channel', async () => {
    const peer = await rawPeer(server.url);
    await peer.handshake();
    peer.send({ t: 'sub', s: 1, ch: 'has space' });
    await waitFor(() => errors(peer).length === 1, 'error frame');
    expect(errors(peer)[0]).toMatchObject({ code: 'bad_channel', s: 1 });
    peer.socket.close();
  });

  it('a replayed (duplicate) sequence number is handled once and only re-acknowledged', async () => {
    // Publishing needs permission, which the shared server does not give: use a second one.
    const local = await startTestServer({ canPublish: () => true });
    const seen: unknown[] = [];
    await local.pushwire.broker.subscribe('dup', (message) => seen.push(JSON.parse(message.json)));
    const peer = await rawPeer(local.url);
    await peer.handshake();
    peer.send({ t: 'pub', s: 1, ch: 'dup', d: 'once' });
    peer.send({ t: 'pub', s: 1, ch: 'dup', d: 'once' });
    await waitFor(() => peer.frames.filter((f) => f.t === 'ack').length >= 1, 'acked');
    expect(seen).toEqual(['once']);
    peer.socket.close();
    await local.close();
  });
});
