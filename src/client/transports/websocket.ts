import type { TransportDefinition } from './transport.js';

/** WebSocket at `{base}/ws`. Frames map one to one onto WebSocket text messages. */
export const websocket: TransportDefinition = {
  name: 'websocket',
  // Shorter than the HTTP transports' 10 s: behind a proxy that swallows upgrades every first visit
  // waits it out, while a false fallback on a slow network only costs a while on SSE (the upgrade
  // probe moves the session back).
  connectTimeout: 4_000,
  probeable: true,
  byeOnPipe: true,
  create({ url, handlers, WebSocket: Impl = globalThis.WebSocket as never }) {
    if (!Impl) throw new Error('no WebSocket here (see the WebSocket option)');
    const socket = new Impl(`${url.replace(/^http/, 'ws')}/ws`);
    /** Until closed from either side: events after that are not reported. */
    let live = true;
    // A failed connect reports 'error' then 'close'; the close is what counts. An error listener stays
    // for good: Node's `ws` throws on an 'error' event nobody listens to.
    let failure = '';
    socket.onerror = (event) => {
      // Browsers say nothing about the cause; Node's `ws` does ("Unexpected server response: 404").
      const message = (event as { message?: unknown }).message;
      failure = message === undefined ? 'error' : String(message);
    };
    socket.onopen = () => {
      if (live) handlers.open();
    };
    socket.onmessage = (event) => {
      if (live && typeof event.data === 'string') handlers.frame(event.data);
    };
    socket.onclose = (event) => {
      if (!live) return;
      live = false;
      handlers.close(event.code, event.reason || `websocket: ${failure || 'closed'}`);
    };
    return {
      send: (text) => socket.send(text),
      close: () => {
        live = false;
        socket.close(1000);
      },
    };
  },
};
