import { createServer as createHttpServer } from 'node:http';
import { connect as connectTcp } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from '../../../src/server/index.js';
import { silentLogger } from '../../../src/server/logger.js';
import { closeAll } from '../../support/close-after-test.js';
import { startTestServer, startTestServerWith } from '../../support/server-harness.js';
import { waitFor } from '../../support/wait.js';

afterEach(closeAll);

const HELLO = '{"t":"hello","v":1}';

/** Opens an SSE stream over a raw TCP socket and collects every byte the server sends. */
function rawStream(port: number, path: string): { bytes: () => string; close: () => void } {
  let received = '';
  const socket = connectTcp(port, '127.0.0.1', () => {
    socket.write(
      `POST ${path}/sse HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: ${HELLO.length}\r\n\r\n${HELLO}`,
    );
  });
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (received += chunk));
  socket.on('error', () => {});
  return { bytes: () => received, close: () => socket.destroy() };
}

describe('SSE write path', () => {
  it('sends the stream unchunked, ending with its connection: each event is its plain bytes on the socket', async () => {
    const server = await startTestServer({ canPublish: () => true });
    const stream = rawStream(server.port, '/pushwire');
    try {
      await waitFor(() => stream.bytes().includes('"t":"welcome"'), 'the welcome');
      const head = stream.bytes().slice(0, stream.bytes().indexOf('\r\n\r\n'));
      expect(head.toLowerCase()).not.toContain('transfer-encoding');
      expect(head.toLowerCase()).toContain('connection: close');
      const token = /pushwire-connection: (\S+)/i.exec(head)![1]!;
      const sent = await fetch(`${server.url}/send`, {
        method: 'POST',
        headers: { 'pushwire-connection': token },
        body: '{"t":"sub","s":1,"ch":"news"}',
      });
      expect(sent.status).toBe(204);
      await waitFor(() => stream.bytes().includes('"t":"subd"'), 'the subscription');
      await server.pushwire.publish('news', { n: 1 });
      await server.pushwire.publish('news', { n: 2 });
      await waitFor(() => stream.bytes().includes('"d":{"n":2}'), 'both messages');
      const body = stream.bytes().slice(stream.bytes().indexOf('\r\n\r\n') + 4);
      // Nothing but comments and events: no chunk-size lines between them.
      expect(body.split('\n').filter((line) => line !== '' && !line.startsWith(':') && !line.startsWith('data: '))).toEqual([]);
      expect(body).toContain('data: {"t":"m","ch":"news","e":');
    } finally {
      stream.close();
    }
  });

  it('goes through res.write when something wrapped it (a compression middleware), and every event still arrives', async () => {
    const pushwire = createServer({ logger: silentLogger, canPublish: () => true });
    const seen: string[] = [];
    const http = createHttpServer((req, res) => {
      const write = res.write.bind(res) as (chunk: unknown) => boolean;
      res.write = ((chunk: unknown) => {
        seen.push(String(chunk));
        return write(chunk);
      }) as typeof res.write;
      if (!pushwire.handleRequest(req, res)) res.writeHead(404).end();
    });
    const { port } = await startTestServerWith(http, pushwire);
    const stream = rawStream(port, '/pushwire');
    try {
      await waitFor(() => stream.bytes().includes('"t":"welcome"'), 'the welcome');
      const token = /pushwire-connection: (\S+)/i.exec(stream.bytes())![1]!;
      await fetch(`http://127.0.0.1:${port}/pushwire/send`, {
        method: 'POST',
        headers: { 'pushwire-connection': token },
        body: '{"t":"sub","s":1,"ch":"news"}',
      });
      await waitFor(() => stream.bytes().includes('"t":"subd"'), 'the subscription');
      await pushwire.publish('news', 'through the wrapper');
      await waitFor(() => stream.bytes().includes('through the wrapper'), 'the message');
      expect(seen.some((chunk) => chunk.includes('"t":"welcome"'))).toBe(true);
      expect(seen.some((chunk) => chunk.includes('through the wrapper'))).toBe(true);
    } finally {
      stream.close();
    }
  });
});
