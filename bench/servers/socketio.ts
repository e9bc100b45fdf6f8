import type { Server } from 'node:http';
import { Server as SocketIoServer } from 'socket.io';
import type { BenchServer } from './server.js';

/** Socket.IO 4 with one transport only, broadcasting with `io.emit` (encoded once per broadcast). */
export function socketIoServer(http: Server, transport: 'websocket' | 'polling'): BenchServer {
  const io = new SocketIoServer(http, { transports: [transport], serveClient: false });
  return {
    path: '/socket.io/',
    broadcast(message) {
      io.emit('m', message);
    },
    connections: () => io.engine.clientsCount,
    close: () => new Promise<void>((resolve) => void io.close(() => resolve())),
  };
}
