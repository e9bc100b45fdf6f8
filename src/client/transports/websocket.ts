import type { TransportDefinition } from './transport.js';

/** WebSocket at `{base}/ws`. Frames map one to one onto WebSocket text messages. */
export const websocket: TransportDefinition = {
  name: 'websocket',
  create({ url, handlers, WebSocket: Impl = globalThis.WebSocket as never }) {
    if (!Impl) throw new Error('WebSocket is not available here; pass the WebSocket option');
    const socket = new Impl(`${url.replace(/^http/, 'ws')}/ws`);
    const detach = (): void => {
      socket.onopen = socket.onmessage = socket.onclose = null;
      // Keep an error listener: Node's `ws` throws on an 'error' event nobody listens to.
      socket.onerror = () => {};
    };
    // A failure is reported by the close event that follows; the listener must exist from the start,
    // because Node's `ws` throws an 'error' event nobody listens to (a connection reset mid-handshake).
    socket.onerror = () => {};
    socket.onopen = () => handlers.open();
    socket.onmessage = (event) => {
      if (typeof event.data === 'string') handlers.frame(event.data);
    };
    socket.onclose = (event) => {
      detach();
      handlers.close(event.code, event.reason);
    };
    return {
      send: (text) => socket.send(text),
      close: () => {
        detach();
        socket.close(1000);
      },
    };
  },
};
