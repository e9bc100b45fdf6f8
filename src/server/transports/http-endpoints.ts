import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TransportName } from '../../protocol/frames.js';
import { HttpHeader, HttpPath } from '../../protocol/http.js';
import type { ServerCore } from '../core.js';
import type { ServerHooks } from '../options.js';
import { randomToken } from '../random.js';
import { requestInfo } from '../request-info.js';
import { openChannelStream } from './channel-stream.js';
import { eachFrame } from '../frame-lines.js';
import { bodyOrReply, replyText } from './http-body.js';
import { answerGoodbye } from './goodbye-endpoint.js';
import { answeredByOriginGate } from './http-origin.js';
import { httpPollResponder, LongPollConnection } from './long-polling.js';
import type { NodeAnswer, NodeCall } from '../cluster/cluster.js';
import { type HttpConnectionLimits, SseConnection } from './sse.js';

export interface HttpEndpointOptions {
  path: string;
  transports: readonly TransportName[];
  pollTimeout: number;
  sseKeepalive: number;
  channelStreams: boolean;
  hooks: ServerHooks;
}

type HttpConnection = SseConnection | LongPollConnection;

const UNKNOWN_CONNECTION = 'unknown_connection: no open connection with this token (it ended or never existed)';
const UNKNOWN_CONNECTION_ANSWER: NodeAnswer = { status: 404, headers: { 'content-type': 'text/plain' }, body: UNKNOWN_CONNECTION };

const ROUTES: ReadonlySet<string> = new Set(Object.values(HttpPath));

/** Time for another node to answer a passed-on POST, ms (a passed-on poll also gets the poll timeout). */
const CALL_TIMEOUT = 5_000;

/**
 * The HTTP side of Pushwire: SSE streams, long-polls, upstream POSTs and channel event streams
 * (see docs/PROTOCOL.md, "Transports"). A connection lives in the process that opened it. On a
 * cluster its token starts with that node's id, and a POST or poll that a load balancer sends to
 * another node is passed on to it over the cluster bus: no sticky sessions needed.
 */
export class HttpEndpoints {
  private readonly connections = new Map<string, HttpConnection>();
  private readonly streams = new Set<{ keepalive(): void; close(code: number, reason: string): void }>();
  private readonly keepalive: ReturnType<typeof setInterval>;
  private readonly limits: HttpConnectionLimits;
  private closing = false;
  /** One function for every connection (not a closure each): an ended connection is forgotten. */
  private readonly forget = (connection: HttpConnection): void => {
    if (this.connections.get(connection.token) === connection) this.connections.delete(connection.token);
  };

  constructor(
    private readonly core: ServerCore,
    private readonly options: HttpEndpointOptions,
  ) {
    // Twice the session's buffer: a resume writes the welcome and a replay of up to the whole buffer at
    // once, which must fit. What a connection queues beyond that is bounded by the session's buffer
    // (reliable frames) and the slow-consumer guard; this bound catches a pile-up of control frames.
    this.limits = { maxBytes: 2 * core.options.outboundMaxBytes, maxFrames: 2 * core.options.outboundMaxFrames };
    // Comment lines keep idle streams open through proxies that time out quiet responses.
    this.keepalive = setInterval(() => {
      for (const connection of this.connections.values()) if (connection instanceof SseConnection) connection.keepalive();
      for (const stream of this.streams) stream.keepalive();
    }, options.sseKeepalive);
    this.keepalive.unref?.();
    if (core.cluster) core.cluster.handlers.http = (call) => this.answerCall(call);
  }

  /** Answers the request if its path is one of these endpoints; returns false otherwise. */
  handle(req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
    const route = pathname.slice(this.options.path.length);
    if (!ROUTES.has(route)) return false;
    if (this.closing) {
      replyText(res, 503, 'server shutting down', { 'retry-after': '1' });
      return true;
    }
    if (answeredByOriginGate(req, res, this.core)) return true;
    switch (route) {
      case HttpPath.sse:
        if (!this.enabled('sse', res) || !this.method(req, res, 'POST')) return true;
        void this.open(req, res, 'sse');
        return true;
      case HttpPath.poll:
        if (!this.enabled('long-polling', res) || !this.method(req, res, 'POST', 'GET')) return true;
        if (req.method === 'POST') void this.open(req, res, 'long-polling');
        else this.poll(req, res);
        return true;
      case HttpPath.send:
        if (!this.method(req, res, 'POST')) return true;
        void this.upstream(req, res);
        return true;
      case HttpPath.bye:
        if (!this.method(req, res, 'POST')) return true;
        void answerGoodbye(req, res, this.core);
        return true;
      case HttpPath.events:
        if (!this.options.channelStreams) {
          replyText(res, 404, 'channel event streams are disabled on this server');
          return true;
        }
        if (!this.method(req, res, 'GET')) return true;
        void openChannelStream(req, res, this.core, this.options.hooks, this.limits, this.streams).catch((error: unknown) => {
          this.core.logger.error('channel stream failed', { error: String(error) });
          replyText(res, 500, 'internal server error');
        });
        return true;
      default:
        return false;
    }
  }

  /** Ends every HTTP connection and stream (after the core ended the sessions); later requests get 503. */
  close(): void {
    this.closing = true;
    clearInterval(this.keepalive);
    for (const connection of [...this.connections.values()]) {
      if (connection instanceof LongPollConnection) connection.end();
      else connection.close(4000, 'server shutting down');
    }
    for (const stream of [...this.streams]) stream.close(4000, 'server shutting down');
  }

  /**
   * Opens a connection: the body is the `hello` frame, possibly followed by more frames (`\n`-separated,
   * like any body), fed to the connection's controller like any frames.
   */
  private async open(req: IncomingMessage, res: ServerResponse, transport: 'sse' | 'long-polling'): Promise<void> {
    const hello = await bodyOrReply(req, res, this.core.options.maxPayload);
    if (hello === undefined) return;
    if (res.destroyed) return;
    const token = this.core.cluster ? `${this.core.cluster.nodeId}.${randomToken(18)}` : randomToken(18);
    const forget = this.forget;
    if (transport === 'sse') {
      const connection = new SseConnection(token, res, this.core, requestInfo(req, this.core.options.trustProxy), this.limits, forget);
      this.connections.set(token, connection);
      eachFrame(hello, (frame) => connection.receive(frame));
    } else {
      const connection = new LongPollConnection(
        token,
        this.core,
        requestInfo(req, this.core.options.trustProxy),
        this.options.pollTimeout,
        this.limits,
        forget,
      );
      this.connections.set(token, connection);
      eachFrame(hello, (frame) => connection.receive(frame));
      connection.poll(httpPollResponder(req, res), 0);
    }
  }

  private poll(req: IncomingMessage, res: ServerResponse): void {
    const received = Number(req.headers[HttpHeader.received] ?? 0);
    if (!Number.isSafeInteger(received) || received < 0)
      return replyText(res, 400, `${HttpHeader.received} must be a non-negative integer`);
    const token = this.token(req);
    const owner = this.remoteOwner(token);
    if (owner) {
      void this.passOn(res, owner, { kind: 'poll', token, received }, this.options.pollTimeout + CALL_TIMEOUT);
      return;
    }
    const connection = this.lookup(token, res);
    if (!connection) return;
    if (!(connection instanceof LongPollConnection)) return replyText(res, 400, 'this connection is not a long-polling connection');
    connection.poll(httpPollResponder(req, res), received);
  }

  /** Client frames, newline-separated, fed in order to the connection's controller. */
  private async upstream(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const token = this.token(req);
    const owner = this.remoteOwner(token);
    if (!owner && !this.lookup(token, res)) {
      req.resume();
      return;
    }
    const body = await bodyOrReply(req, res, this.core.options.maxPayload);
    if (body === undefined) return;
    if (owner) {
      await this.passOn(res, owner, { kind: 'send', token, body }, CALL_TIMEOUT);
      return;
    }
    const answer = this.deliver(token, body);
    res.writeHead(answer.status, answer.headers).end(answer.body);
  }

  /** Feeds POSTed client frames to the connection `token` of this node. */
  private deliver(token: string, body: string): NodeAnswer {
    const connection = this.connections.get(token);
    if (!connection) return UNKNOWN_CONNECTION_ANSWER;
    eachFrame(body, (frame) => connection.receive(frame));
    return { status: 204, headers: { 'cache-control': 'no-store' } };
  }

  /** A POST or poll another node passed on, for a connection of this node. */
  private answerCall(call: Extract<NodeCall, { kind: 'send' | 'poll' }>): Promise<NodeAnswer> {
    if (call.kind === 'send') return Promise.resolve(this.deliver(call.token, call.body));
    const connection = this.connections.get(call.token);
    if (!(connection instanceof LongPollConnection)) return Promise.resolve(UNKNOWN_CONNECTION_ANSWER);
    // The asking node waits for the answer; if its client hangs up, the next poll ends this one.
    return new Promise((resolve) =>
      connection.poll({ respond: (status, headers, body) => resolve({ status, headers, body }), onGone: () => {} }, call.received),
    );
  }

  /** Passes a request on to the node that holds its connection, and gives its answer as this response. */
  private async passOn(res: ServerResponse, node: string, call: NodeCall, timeout: number): Promise<void> {
    this.core.counters.passedOn++;
    let answer: NodeAnswer;
    try {
      answer = await this.core.cluster!.link.call(node, call, timeout);
    } catch (error) {
      this.core.logger.debug('request for a connection on another node not answered', { node, error: String(error) });
      answer = { ...UNKNOWN_CONNECTION_ANSWER, body: `${UNKNOWN_CONNECTION}; its node did not answer` };
    }
    if (!res.destroyed) res.writeHead(answer.status, answer.headers).end(answer.body);
  }

  private token(req: IncomingMessage): string {
    const token = req.headers[HttpHeader.connection];
    return typeof token === 'string' ? token : '';
  }

  /** On a cluster, the node that opened connection `token`, if it is not this one. */
  private remoteOwner(token: string): string | null {
    const cluster = this.core.cluster;
    const dot = token.indexOf('.');
    if (!cluster || dot <= 0) return null;
    const node = token.slice(0, dot);
    return node === cluster.nodeId ? null : node;
  }

  private lookup(token: string, res: ServerResponse): HttpConnection | undefined {
    const connection = this.connections.get(token);
    if (!connection) replyText(res, 404, UNKNOWN_CONNECTION);
    return connection;
  }

  private enabled(transport: TransportName, res: ServerResponse): boolean {
    if (this.options.transports.includes(transport)) return true;
    replyText(res, 404, `the ${transport} transport is disabled on this server`);
    return false;
  }

  private method(req: IncomingMessage, res: ServerResponse, ...allowed: string[]): boolean {
    if (allowed.includes(req.method ?? '')) return true;
    replyText(res, 405, `method not allowed; use ${allowed.join(' or ')}`, { allow: allowed.join(', ') });
    return false;
  }
}
