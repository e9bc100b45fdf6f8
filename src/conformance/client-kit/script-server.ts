import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { Frame } from '../peer.js';
import { Waiters } from '../waiters.js';

/**
 * The client kit's scripted server: it speaks Pushwire's WebSocket and long-polling transports at the
 * frame level but decides nothing itself — each check writes the server side frame by frame (welcome,
 * duplicates, gaps, resets, close codes, silence) and reads what the client sent.
 */

/** Long-polling: how long a poll waits for frames before it is answered 204, ms. */
const POLL_WAIT = 500;

type Transport = 'websocket' | 'long-polling';

/** One client connection as the script sees it. */
export class ScriptConnection {
  /** Client frames, in order. */
  readonly frames: Frame[] = [];
  /** Raw client messages or POST bodies, for the framing rules (EN3). */
  readonly raw: string[] = [];
  closed = false;
  readonly openedAt = Date.now();
  private readonly waiters = new Waiters();

  constructor(
    readonly transport: Transport,
    private readonly pipe: { send(text: string): void; close(code: number, reason: string): void; cut(): void },
    private readonly timeoutMs: number,
  ) {}

  send(...frames: object[]): void {
    for (const frame of frames) this.pipe.send(JSON.stringify(frame));
  }

  /** Closes with a code: natively on WebSocket, with a close frame on long-polling. */
  close(code: number, reason = 'closed by the script'): void {
    this.pipe.close(code, reason);
    this.ended();
  }

  /** Drops the connection without a word. */
  cut(): void {
    this.pipe.cut();
    this.ended();
  }

  async waitFor(match: (frame: Frame) => boolean, what: string, timeoutMs = this.timeoutMs): Promise<Frame> {
    await this.until(() => this.frames.some(match), what, timeoutMs);
    return this.frames.find(match)!;
  }

  async until(condition: () => boolean, what: string, timeoutMs = this.timeoutMs): Promise<void> {
    await this.waiters.until(
      condition,
      what,
      timeoutMs,
      () => ` (client, ${this.transport}); it sent ${JSON.stringify(this.frames).slice(0, 600)}`,
    );
  }

  /** Frames of one type the client sent. */
  sent(type: string): Frame[] {
    return this.frames.filter((frame) => frame.t === type);
  }

  receiveText(text: string): void {
    this.raw.push(text);
    for (const line of text.split('\n')) {
      if (line === '') continue;
      try {
        this.frames.push(JSON.parse(line) as Frame);
      } catch {
        this.frames.push({ t: '(not JSON)', text: line });
      }
    }
    this.notify();
  }

  ended(): void {
    this.closed = true;
    this.notify();
  }

  private notify(): void {
    this.waiters.notify();
  }
}

/** A long-polling connection of the script server. */
class PollPipe {
  private queue: string[] = [];
  private batch = 0;
  private waiting: { res: ServerResponse; timer: ReturnType<typeof setTimeout> } | null = null;
  private closing = false;
  gone = false;

  constructor(readonly token: string) {}

  send(text: string): void {
    if (this.gone) return;
    this.queue.push(text);
    this.flush();
  }

  close(code: number, reason: string): void {
    this.send(JSON.stringify({ t: 'close', code, reason }));
    this.closing = true;
  }

  cut(): void {
    this.gone = true;
    if (this.waiting) this.waiting.res.destroy();
    this.waiting = null;
  }

  poll(res: ServerResponse): void {
    if (this.gone) {
      res.writeHead(404).end('unknown_connection');
      return;
    }
    if (this.waiting) this.answer(this.waiting.res, 204);
    const timer = setTimeout(() => {
      if (this.waiting?.res === res) this.answer(res, 204);
    }, POLL_WAIT);
    this.waiting = { res, timer };
    res.on('close', () => {
      if (this.waiting?.res === res) this.waiting = null;
    });
    this.flush();
  }

  private flush(): void {
    if (!this.waiting || this.queue.length === 0) return;
    const { res } = this.waiting;
    const body = this.queue.join('\n');
    this.queue = [];
    this.answer(res, 200, body);
    if (this.closing) this.gone = true;
  }

  private answer(res: ServerResponse, status: number, body?: string): void {
    if (this.waiting?.res === res) {
      clearTimeout(this.waiting.timer);
      this.waiting = null;
    }
    const headers: Record<string, string> = {
      'cache-control': 'no-store',
      'pushwire-connection': this.token,
      'pushwire-max-body': '65536',
    };
    if (status === 200) {
      headers['content-type'] = 'application/x-ndjson; charset=utf-8';
      headers['pushwire-batch'] = String(++this.batch);
    }
    res.writeHead(status, headers).end(body);
  }
}

export class ScriptServer {
  readonly connections: ScriptConnection[] = [];
  url = '';
  private readonly http: Server;
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  private readonly polls = new Map<string, { pipe: PollPipe; connection: ScriptConnection }>();
  private readonly sockets = new Set<Duplex>();
  private readonly waiters = new Waiters();
  private tokens = 0;
  /** When false, WebSocket upgrades are refused with 404 (a proxy that does not pass them). */
  websocketEnabled = true;

  constructor(private readonly timeoutMs: number) {
    this.http = createServer((req, res) => this.request(req, res));
    this.http.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.http.on('upgrade', (req, socket, head) => {
      if (!this.websocketEnabled || !(req.url ?? '').startsWith('/pushwire/ws')) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.acceptWebSocket(ws));
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
    await this.waiters.until(condition, what, timeoutMs, () => ' (script server)');
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.wss.close();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
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
        close: (code, reason) => ws.close(code, reason),
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
      const token = String(req.headers['pushwire-connection'] ?? '');
      if (path === '/pushwire/poll' && req.method === 'POST') {
        const pipe = new PollPipe(`script-${++this.tokens}-${Date.now().toString(36)}`);
        const connection = new ScriptConnection('long-polling', pipe, this.timeoutMs);
        this.polls.set(pipe.token, { pipe, connection });
        this.added(connection);
        connection.receiveText(body);
        pipe.poll(res);
      } else if (path === '/pushwire/poll' && req.method === 'GET') {
        const entry = this.polls.get(token);
        if (!entry) res.writeHead(404).end('unknown_connection');
        else entry.pipe.poll(res);
      } else if (path === '/pushwire/send' && req.method === 'POST') {
        const entry = this.polls.get(token);
        if (!entry || entry.pipe.gone) {
          res.writeHead(404).end('unknown_connection');
          return;
        }
        entry.connection.receiveText(body);
        res.writeHead(204).end();
      } else {
        res.writeHead(404).end('not served by the script server');
      }
    });
  }
}
