import WebSocket from 'ws';
import type { WebSocketConstructor, WebSocketLike } from '../../src/client/transports/transport.js';

/**
 * A WebSocket for the client (over the `ws` package) whose network a test can switch off: `offline`
 * makes new connections fail at once (connection refused), `muteDown` drops frames from the server,
 * `muteUp` drops frames to it; `route` sends new connections to another server (a load balancer).
 */
export interface NetworkSwitch {
  offline: boolean;
  /** When set, new connections go to this ws:// URL instead of the one the client asked for. */
  route: string | null;
  muteDown: boolean;
  muteUp: boolean;
  /** Every socket opened so far, newest last. */
  sockets: WebSocket[];
  WebSocket: WebSocketConstructor;
}

export function controlledWebSocket(): NetworkSwitch {
  const network: NetworkSwitch = {
    offline: false,
    route: null,
    muteDown: false,
    muteUp: false,
    sockets: [],
    WebSocket: undefined as never,
  };

  class ControlledWebSocket implements WebSocketLike {
    onopen: WebSocketLike['onopen'] = null;
    onmessage: WebSocketLike['onmessage'] = null;
    onclose: WebSocketLike['onclose'] = null;
    onerror: WebSocketLike['onerror'] = null;
    private readonly inner: WebSocket;

    constructor(url: string) {
      // Port 1 on loopback refuses connections: the same failure as a network that is down.
      this.inner = new WebSocket(network.offline ? 'ws://127.0.0.1:1/' : (network.route ?? url));
      network.sockets.push(this.inner);
      this.inner.onopen = (event) => this.onopen?.(event);
      this.inner.onmessage = (event) => {
        if (!network.muteDown) this.onmessage?.({ data: event.data });
      };
      this.inner.onclose = (event) => this.onclose?.({ code: event.code, reason: event.reason });
      this.inner.onerror = (event) => this.onerror?.(event);
    }

    get readyState(): number {
      return this.inner.readyState;
    }

    send(data: string): void {
      if (!network.muteUp) this.inner.send(data);
    }

    close(code?: number, reason?: string): void {
      this.inner.close(code, reason);
    }
  }

  network.WebSocket = ControlledWebSocket;
  return network;
}

/** A WebSocket class that a test can cut off: while `blocked`, it asks for a path the server refuses. */
export function gatedWebSocket(): { WebSocket: WebSocketConstructor; gate: { blocked: boolean } } {
  const gate = { blocked: true };
  class Gated extends WebSocket {
    constructor(url: string) {
      super(gate.blocked ? url.replace(/\/ws$/, '/blocked-ws') : url);
    }
  }
  return { WebSocket: Gated as unknown as WebSocketConstructor, gate };
}
