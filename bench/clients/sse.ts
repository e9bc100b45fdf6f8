import { get } from 'node:http';
import { createParser } from 'eventsource-parser';
import type { BenchMessage } from '../message.js';
import { nextSourceAddress } from './source-address.js';
import { type ClientFactory, deferred } from './client.js';

/** A plain SSE reader: one GET per client (no agent pooling), events parsed by eventsource-parser. */
export const sseClient: ClientFactory = (url, handlers) => {
  const opened = deferred();
  const parser = createParser({ onEvent: (event) => handlers.message(JSON.parse(event.data) as BenchMessage) });
  const request = get(`${url}/sse`, { agent: false, localAddress: nextSourceAddress() }, (res) => {
    if (res.statusCode !== 200) {
      opened.reject(new Error(`HTTP ${res.statusCode}`));
      res.resume();
      return;
    }
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => parser.feed(chunk));
    opened.resolve();
    handlers.open(false);
  });
  request.on('error', (error) => opened.reject(error));
  return { opened: opened.promise, ready: opened.promise, close: () => request.destroy() };
};
