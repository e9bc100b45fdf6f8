import WebSocket from 'ws';
import type { BenchMessage } from '../message.js';
import { nextSourceAddress } from './source-address.js';
import { type ClientFactory, deferred } from './client.js';

/** A plain `ws` client parsing each text message as JSON. */
export const wsClient: ClientFactory = (url, handlers) => {
  const opened = deferred();
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, { perMessageDeflate: false, localAddress: nextSourceAddress() });
  socket.on('open', () => {
    opened.resolve();
    handlers.open(false);
  });
  socket.on('error', (error) => opened.reject(error));
  socket.on('message', (data) => handlers.message(JSON.parse(data.toString()) as BenchMessage));
  return { opened: opened.promise, ready: opened.promise, close: () => socket.terminate() };
};
