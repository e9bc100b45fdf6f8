import type { ServerCore } from '../core.js';
import type { ServerHooks } from '../options.js';
import { ChannelStreamEndpoint } from './channel-stream.js';
import type { Endpoint } from './endpoint.js';
import { GoodbyeEndpoint } from './goodbye-endpoint.js';
import { HttpConnections } from './http-connections.js';
import { LongPollingEndpoint } from './long-polling-endpoint.js';
import { SseEndpoint } from './sse-endpoint.js';
import { WebSocketEndpoint } from './websocket.js';

export interface EndpointOptions {
  pollTimeout: number;
  sseKeepalive: number;
  channelStreams: boolean;
  hooks: ServerHooks;
}

/**
 * Every endpoint the server offers, in the order they are asked (their routes do not overlap). A new
 * transport is one more endpoint here: it opens its connections, hands each to a ConnectionController
 * (see connection.ts), and the session layer above works as it does for the others.
 */
export function createEndpoints(core: ServerCore, options: EndpointOptions): Endpoint[] {
  // SSE and long-polling connections share one table: their client frames come in the same POSTs (`/send`).
  const http = new HttpConnections(core, options.sseKeepalive);
  return [
    new WebSocketEndpoint(core, core.transports.includes('websocket')),
    new SseEndpoint(core, http),
    new LongPollingEndpoint(core, http, options.pollTimeout),
    http,
    new GoodbyeEndpoint(core),
    new ChannelStreamEndpoint(core, options.hooks, options.channelStreams, http.limits, options.sseKeepalive),
  ];
}
