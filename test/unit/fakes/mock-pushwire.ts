import { delay, http, HttpResponse, ws } from 'msw';
import { parseFrames, welcomeFrame } from './wire.js';

/**
 * A small Pushwire server on msw's mocked network (host example.test): enough of protocol v1 for the
 * transports and negotiation (hello/welcome, resume with replay after rx, sub → subd + ack, channel
 * messages, ping/pong), with switches to make each transport misbehave the way real networks do.
 */
export const BASE = 'http://example.test/pushwire';

/** 'pong-only' (WebSocket): answers a probe's ping, then never answers the hello. */
type Mode = 'ok' | 'refuse' | 'silent' | 'pong-only';

interface Session {
  sid: string;
  secret: string;
  /** Reliable frames sent in this session, in order (never trimmed: it is a test). */
  out: string[];
  channels: Map<string, number>;
  send: ((text: string) => void) | null;
}

interface HttpConnection {
  token: string;
  queue: string[];
  batch: number;
  last: { n: number; body: string } | null;
  session: Session | null;
  push(text: string): void;
}

const encoder = new TextEncoder();

export class MockPushwire {
  websocket: Mode = 'ok';
  /** 'silent' = a proxy that buffers the stream: headers go out, frames never do. */
  sse: Mode = 'ok';
  longPolling: Mode = 'ok';
  readonly sessions = new Map<string, Session>();
  readonly hellos: { transport: string; hello: Record<string, unknown> }[] = [];
  readonly posts: string[][] = [];
  readonly attempts = { websocket: 0, sse: 0, 'long-polling': 0 };
  /** Upstream POSTs in flight right now, and the most seen at once. */
  inFlight = 0;
  maxInFlight = 0;
  /** Delay of each upstream POST's answer, ms. */
  sendDelay = 0;
  /** Delay before a poll is answered, ms (it always waits at least for something to send). */
  pollDelay = 0;
  /** Drop the next poll answer that carries a batch on the way to the client (the batch was made). */
  loseNextBatch = false;
  /** Polls that asked for a batch again because its answer was lost. */
  repeatedPolls = 0;
  private readonly connections = new Map<string, HttpConnection>();
  private nextId = 0;

  readonly handlers = [
    ws.link(`${BASE.replace('http', 'ws')}/ws`).addEventListener('connection', ({ client }) => {
      this.attempts.websocket++;
      if (this.websocket === 'refuse') return client.close(1011, 'refused');
      if (this.websocket === 'silent') return;
      let session: Session | null = null;
      client.addEventListener('message', (event) => {
        // A message may carry several frames separated by `\n` (the hello with its pipelined subscriptions).
        for (const frame of parseFrames(String(event.data))) {
          if (frame.t === 'hello' && this.websocket === 'pong-only') this.hellos.push({ transport: 'websocket (ignored)', hello: frame });
          else if (frame.t === 'hello') session = this.hello('websocket', frame, (text) => client.send(text));
          else if (!session && frame.t === 'ping') client.send(JSON.stringify({ t: 'pong', id: frame.id }));
          else if (session) this.receive(session, frame);
        }
      });
    }),
    http.post(`${BASE}/sse`, async ({ request }) => {
      this.attempts.sse++;
      if (this.sse === 'refuse') return HttpResponse.error();
      const [hello, ...pipelined] = parseFrames(await request.text());
      const connection = this.connection();
      let push: (text: string) => void = () => {};
      const stream = new ReadableStream<Uint8Array>({
        start: (controller) => {
          push = (text) => {
            if (this.sse === 'ok') controller.enqueue(encoder.encode(`data: ${text}\n\n`));
          };
          controller.enqueue(encoder.encode(': open\n\n'));
        },
      });
      connection.push = (text) => push(text);
      queueMicrotask(() => {
        const session = (connection.session = this.hello('sse', hello!, (text) => connection.push(text)));
        for (const frame of pipelined) this.receive(session, frame);
      });
      return new HttpResponse(stream, {
        headers: { 'content-type': 'text/event-stream', 'pushwire-connection': connection.token, 'pushwire-max-body': '65536' },
      });
    }),
    http.post(`${BASE}/send`, async ({ request }) => {
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      try {
        const connection = this.connections.get(request.headers.get('pushwire-connection') ?? '');
        if (!connection) return new HttpResponse('unknown_connection', { status: 404 });
        const lines = (await request.text()).split('\n');
        this.posts.push(lines);
        if (this.sendDelay) await delay(this.sendDelay);
        for (const frame of parseFrames(lines.join('\n'))) if (connection.session) this.receive(connection.session, frame);
        return new HttpResponse(null, { status: 204 });
      } finally {
        this.inFlight--;
      }
    }),
    http.post(`${BASE}/poll`, async ({ request }) => {
      this.attempts['long-polling']++;
      if (this.longPolling === 'refuse') return HttpResponse.error();
      const [hello, ...pipelined] = parseFrames(await request.text());
      const connection = this.connection();
      connection.push = (text) => connection.queue.push(text);
      connection.session = this.hello('long-polling', hello!, (text) => connection.push(text));
      for (const frame of pipelined) this.receive(connection.session, frame);
      return this.poll(connection, 0);
    }),
    http.get(`${BASE}/poll`, async ({ request }) => {
      const connection = this.connections.get(request.headers.get('pushwire-connection') ?? '');
      if (!connection) return new HttpResponse('unknown_connection', { status: 404 });
      return this.poll(connection, Number(request.headers.get('pushwire-received')));
    }),
  ];

  /** Publishes to every session subscribed to `channel`. */
  publish(channel: string, data: unknown): void {
    for (const session of this.sessions.values()) {
      const seq = session.channels.get(channel);
      if (seq === undefined) continue;
      session.channels.set(channel, seq + 1);
      this.reliable(session, JSON.stringify({ t: 'm', ch: channel, e: 'E', q: seq + 1, d: data }));
    }
  }

  private connection(): HttpConnection {
    const connection: HttpConnection = { token: `c${++this.nextId}`, queue: [], batch: 0, last: null, session: null, push: () => {} };
    this.connections.set(connection.token, connection);
    return connection;
  }

  private async poll(connection: HttpConnection, received: number): Promise<HttpResponse<string>> {
    if (this.pollDelay) await delay(this.pollDelay);
    if (connection.last && received < connection.last.n) {
      this.repeatedPolls++;
      return this.batch(connection, connection.last);
    }
    for (let waited = 0; connection.queue.length === 0 && waited < 2000; waited += 5) await delay(5);
    if (connection.queue.length === 0 || this.longPolling === 'silent')
      return new HttpResponse(null, { status: 204 }) as HttpResponse<string>;
    connection.last = { n: ++connection.batch, body: connection.queue.splice(0).join('\n') };
    if (this.loseNextBatch) {
      this.loseNextBatch = false;
      return HttpResponse.error() as unknown as HttpResponse<string>;
    }
    return this.batch(connection, connection.last);
  }

  private batch(connection: HttpConnection, batch: { n: number; body: string }): HttpResponse<string> {
    return new HttpResponse(batch.body, {
      headers: { 'pushwire-connection': connection.token, 'pushwire-batch': String(batch.n), 'pushwire-max-body': '65536' },
    });
  }

  private hello(transport: string, hello: Record<string, unknown>, send: (text: string) => void): Session {
    this.hellos.push({ transport, hello });
    const known = typeof hello.sid === 'string' ? this.sessions.get(hello.sid) : undefined;
    const resumed = known !== undefined && known.secret === hello.secret;
    const session: Session = resumed ? known : { sid: `s${++this.nextId}`, secret: 'secret', out: [], channels: new Map(), send: null };
    this.sessions.set(session.sid, session);
    const rx = resumed ? Number(hello.rx) : 0;
    session.send = send;
    send(JSON.stringify(welcomeFrame({ sid: session.sid, secret: session.secret, resumed, rx, tr: ['websocket', 'sse', 'long-polling'] })));
    for (const frame of session.out.slice(rx)) send(frame);
    return session;
  }

  private receive(session: Session, frame: Record<string, unknown>): void {
    if (frame.t === 'sub') {
      const ch = String(frame.ch);
      if (!session.channels.has(ch)) session.channels.set(ch, 0);
      this.reliable(
        session,
        JSON.stringify({ t: 'subd', ch, e: 'E', q: session.channels.get(ch), h: session.channels.get(ch), st: 'new' }),
      );
      session.send?.(JSON.stringify({ t: 'ack', s: frame.s }));
    } else if (frame.t === 'pub' || frame.t === 'msg') {
      session.send?.(JSON.stringify({ t: 'ack', s: frame.s }));
    } else if (frame.t === 'ping') {
      session.send?.(JSON.stringify({ t: 'pong', id: frame.id }));
    }
  }

  private reliable(session: Session, text: string): void {
    session.out.push(text);
    session.send?.(text);
  }
}
