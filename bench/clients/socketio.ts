import { Agent } from 'node:http';
import { io } from 'socket.io-client';
import type { BenchMessage } from '../message.js';
import { type ClientFactory, deferred } from './client.js';

/** socket.io-client 4 on one transport, without its own reconnection. */
export function socketIoClient(transport: 'websocket' | 'polling'): ClientFactory {
  return (url, handlers) => {
    const opened = deferred();
    // A keep-alive agent per client, as a browser keeps its connections: without one, the Node client
    // (xmlhttprequest-ssl) opens a new TCP connection for every poll. (Typed as string | boolean in
    // engine.io-client's options; the Node transport hands it to http.request.)
    const agent = transport === 'polling' ? new Agent({ keepAlive: true }) : undefined;
    const socket = io(url, {
      transports: [transport],
      forceNew: true,
      reconnection: false,
      ...(agent ? { agent: agent as unknown as string } : {}),
    });
    socket.on('connect', () => {
      opened.resolve();
      handlers.open(false);
    });
    socket.on('connect_error', (error) => opened.reject(error));
    socket.on('m', (message: BenchMessage) => handlers.message(message));
    return {
      opened: opened.promise,
      ready: opened.promise,
      close: () => {
        socket.close();
        agent?.destroy();
      },
    };
  };
}
