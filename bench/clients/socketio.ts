import { io } from 'socket.io-client';
import type { BenchMessage } from '../message.js';
import { type ClientFactory, deferred } from './client.js';

/** socket.io-client 4 on one transport, without its own reconnection. */
export function socketIoClient(transport: 'websocket' | 'polling'): ClientFactory {
  return (url, handlers) => {
    const opened = deferred();
    const socket = io(url, { transports: [transport], forceNew: true, reconnection: false });
    socket.on('connect', () => {
      opened.resolve();
      handlers.open(false);
    });
    socket.on('connect_error', (error) => opened.reject(error));
    socket.on('m', (message: BenchMessage) => handlers.message(message));
    return { opened: opened.promise, ready: opened.promise, close: () => void socket.close() };
  };
}
