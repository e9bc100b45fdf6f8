import type { Server } from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import type { BenchServer } from './server.js';

/** Plain `ws`, the way its README broadcasts: serialize once, `send` the string to each open socket. */
export function wsServer(http: Server): BenchServer {
  const wss = new WebSocketServer({ server: http, path: '/ws', perMessageDeflate: false });
  return {
    path: '/ws',
    broadcast(message) {
      const text = JSON.stringify(message);
      for (const client of wss.clients) if (client.readyState === WebSocket.OPEN) client.send(text);
    },
    connections: () => wss.clients.size,
    close: () => new Promise<void>((resolve) => wss.close(() => resolve())),
  };
}
