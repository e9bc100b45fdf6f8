import type { Server } from 'node:http';
import { createServer } from '../../src/server/index.js';
import { BENCH_CHANNEL } from '../message.js';
import type { BenchServer } from './server.js';

/**
 * The Pushwire reference server with default options, on the bench's HTTP server — except the limit
 * of sessions per client address: every bench client comes from 127.0.0.1.
 */
export function pushwireServer(http: Server): BenchServer {
  const server = createServer({ limits: { maxSessionsPerAddress: 100_000 } }).attach(http);
  return {
    path: '/pushwire',
    broadcast(message) {
      void server.publish(BENCH_CHANNEL, message);
    },
    connections: () => server.stats().connected,
    framesIn: () => server.stats().counters.framesIn,
    close: () => server.close(),
  };
}
