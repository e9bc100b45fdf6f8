import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { Waiters } from '../waiters.js';
import { PollPipe, SsePipe } from './http-pipes.js';
import { ScriptConnection, type ScriptTransport } from './script-connection.js';

export { ScriptConnection } from './script-connection.js';

/**
 * The client kit's scripted server: it speaks Pushwire's three transports at the frame level but
 * decides nothing itself — each check writes the server side frame by frame (welcome, duplicates, gaps,
 * resets, close codes, silence) and reads what the client sent. It can also refuse a transport, hold
 * HTTP answers back, fail upstream POSTs, cut or repeat polls, and records every connection attempt.
 */

/** A connection attempt (a WebSocket upgrade, an SSE or long-polling opening POST), refused or not. */
export interface ConnectAttempt {
  transport: ScriptTransport;
  at: number;
  refused: boolean;
}

export class ScriptServer {
  readonly connections: ScriptConnection[] = [];
  readonly attempts: ConnectAttempt[] = [];
  url = '';
  /** Transports whose attempts are refused: a WebSocket upgrade gets 404, an opening POST 503. */
  readonly refused = new Set<ScriptTransport>();
  /** Long-polling: how long a poll (also the opening POST) waits before an empty answer, ms; Infinity: it hangs. */
  pollWait = 500;
  /** The Pushwire-Max-Body the HTTP transports announce. */
  maxBody = 65_536;
  /** Upstream POSTs are answered this long after they arrived, ms. */
  postDelay = 0;
  /** This many next upstream POSTs are answered 500, their frames dropped. */
  failPosts = 0;
  private readonly http: Server;
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  private readonly httpConnections = new Map<string, { pipe: PollPipe | SsePipe; connection: ScriptConnection }>();
  private readonly sockets = new Set<Duplex>();
  private readonly waiters = new Waiters();
  private tokens = 0;

  constructor(private readonly timeoutMs: number) {
    this.http = createServer((req, res) => this.request(req, res));
    this.http.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.http.on('upgrade', (req, socket, head) => {
      if (!(req.url ?? '').startsWith('/pushwire/ws')) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      if (this.attempt('websocket')) {
        this.wss.handleUpgrade(req, socket, head, (ws) => this.acceptWebSocket(ws));
      } else {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      }
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.http.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.http.address() as AddressInfo).port}/pushwire`;
  }

  /** The `index`-th connection (0-based) once it has arrived. */
  async connection(index: number, timeoutMs = this.timeoutMs): Promise<ScriptConnection> {
    await this.until(() => this.connections.length > index, `client connection #${index + 1}`, timeoutMs);
    return this.connections[index]!;
  }

  async until(condition: () => boolean, what: string, timeoutMs = this.timeoutMs): Promise<void> {
    await this.waiters.until(condition, what, timeoutMs, () => ` (script server; attempts ${JSON.stringify(this.attempts)})`);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.wss.close();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  /** Records an attempt; false when the transport is refused. */
  private attempt(transport: ScriptTransport): boolean {
    const refused = this.refused.has(transport);
    this.attempts.push({ transport, at: Date.now(), refused });
    this.waiters.notify();
    return !refused;
  }

  private added(connection: ScriptConnection): void {
    this.connections.push(connection);
    this.waiters.notify();
  }

  private acceptWebSocket(ws: WebSocket): void {
    const connection = new ScriptConnection(
      'websocket',
      {
        send: (text) => {
          if (ws.readyState === WebSocket.OPEN) ws.send(text);
        },
        // A close frame first when it carries retry (SC4, SC5), then the native close with the code.
        close: (code, reason, retry) => {
          if (retry !== undefined && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ t: 'close', code, reason, retry }));
          ws.close(code, reason);
        },
        cut: () => ws.terminate(),
      },
      this.timeoutMs,
    );
    ws.on('message', (data) => connection.receiveText(data.toString()));
    ws.on('close', () => connection.ended());
    ws.on('error', () => connection.ended());
    this.added(connection);
  }

  private request(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '').split('?')[0];
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const entry = this.httpConnections.get(String(req.headers['pushwire-connection'] ?? ''));
      if (path === '/pushwire/poll' && req.method === 'POST') this.openHttp('long-polling', body, res);
      else if (path === '/pushwire/sse' && req.method === 'POST') this.openHttp('sse', body, res);
      else if (path === '/pushwire/poll' && req.method === 'GET') {
        if (!(entry?.pipe instanceof PollPipe)) {
          res.writeHead(404).end('unknown_connection');
          return;
        }
        entry.connection.polls.push({ received: req.headers['pushwire-received'] as string | undefined, at: Date.now() });
        entry.connection.notify();
        entry.pipe.poll(res);
      } else if (path === '/pushwire/send' && req.method === 'POST') this.upstream(req, res, body, entry);
      else res.writeHead(404).end('not served by the script server');
    });
  }

  private openHttp(transport: 'long-polling' | 'sse', hello: string, res: ServerResponse): void {
    if (!this.attempt(transport)) {
      res.writeHead(503).end(`the script refuses ${transport}`);
      return;
    }
    const token = `script-${++this.tokens}-${Date.now().toString(36)}`;
    let pipe: PollPipe | SsePipe;
    if (transport === 'sse') pipe = new SsePipe(token, res, this.maxBody);
    else {
      pipe = new PollPipe(token, this.maxBody);
      pipe.pollWait = this.pollWait;
    }
    const connection = new ScriptConnection(transport, pipe, this.timeoutMs);
    this.httpConnections.set(token, { pipe, connection });
    if (pipe instanceof SsePipe) res.on('close', () => connection.ended());
    this.added(connection);
    connection.receiveText(hello);
    if (pipe instanceof PollPipe) pipe.poll(res);
  }

  /** `POST {path}/send`: recorded, answered after `postDelay`, or failed while `failPosts` lasts. */
  private upstream(
    req: IncomingMessage,
    res: ServerResponse,
    body: string,
    entry: { pipe: PollPipe | SsePipe; connection: ScriptConnection } | undefined,
  ): void {
    if (!entry || entry.pipe.gone) {
      res.writeHead(404).end('unknown_connection');
      return;
    }
    const post = { headers: req.headers, body, arrivedAt: Date.now(), answeredAt: 0 };
    entry.connection.posts.push(post);
    const failed = this.failPosts > 0;
    if (failed) this.failPosts--;
    else entry.connection.receiveText(body);
    const answer = (): void => {
      post.answeredAt = Date.now();
      if (failed) res.writeHead(500).end('failed by the script');
      else res.writeHead(204).end();
      entry.connection.notify();
    };
    if (this.postDelay > 0) setTimeout(answer, this.postDelay);
    else answer();
  }
}
