import WebSocket from 'ws';
import { closeAfterTest } from './close-after-test.js';
import { waitFor } from './wait.js';

/** A hand-driven WebSocket peer that speaks (or breaks) the protocol frame by frame. */
export interface RawPeer {
  socket: WebSocket;
  frames: Array<Record<string, unknown>>;
  closed?: { code: number; reason: string };
  send(frame: unknown): void;
  /** Sends hello and waits for the welcome. */
  handshake(): Promise<Record<string, unknown>>;
}

/** Opens a RawPeer on the WebSocket endpoint of the server at `url` (http://…/pushwire); closed by `closeAll()`. */
export async function rawPeer(url: string): Promise<RawPeer> {
  const socket = closeAfterTest(new WebSocket(`${url.replace(/^http/, 'ws')}/ws`), (raw) => raw.terminate());
  const peer: RawPeer = {
    socket,
    frames: [],
    send: (frame) => socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
    async handshake() {
      peer.send({ t: 'hello', v: 1 });
      await waitFor(() => peer.frames.some((f) => f.t === 'welcome'), 'welcome');
      return peer.frames.find((f) => f.t === 'welcome')!;
    },
  };
  socket.on('message', (data) => peer.frames.push(JSON.parse(data.toString()) as Record<string, unknown>));
  socket.on('close', (code, reason) => (peer.closed = { code, reason: reason.toString() }));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  return peer;
}
