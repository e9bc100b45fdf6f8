import type { Server, ServerResponse } from 'node:http';
import type { BenchServer } from './server.js';

/** A plain Node SSE endpoint: one open response per client, `res.write` of each event to each. */
export function sseServer(http: Server): BenchServer {
  const clients = new Set<ServerResponse>();
  http.on('request', (req, res) => {
    if (req.url !== '/sse') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(':ok\n\n');
    clients.add(res);
    res.on('close', () => clients.delete(res));
  });
  return {
    path: '/sse',
    broadcast(message) {
      const event = `data: ${JSON.stringify(message)}\n\n`;
      for (const res of clients) res.write(event);
    },
    connections: () => clients.size,
    close: async () => {
      for (const res of clients) res.destroy();
      clients.clear();
    },
  };
}
