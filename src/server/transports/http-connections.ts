import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpHeader, HttpPath } from '../../protocol/http.js';
import type { NodeAnswer, NodeCall } from '../cluster/cluster-link.js';
import type { Connection } from '../connection.js';
import type { ServerCore } from '../core.js';
import { eachFrame } from '../frame-lines.js';
import { randomToken } from '../random.js';
import type { Endpoint } from './endpoint.js';
import { bodyOrReply, replyText } from './http-body.js';
import { answeredAtGate, methodAllowed } from './http-gate.js';
import type { PollResponder } from './poll-responder.js';

/** Bytes or frames queued for one HTTP connection beyond which it is closed as a slow consumer. */
export interface HttpConnectionLimits {
  maxBytes: number;
  maxFrames: number;
}

/** A connection whose client frames arrive in POSTs naming its token (SSE, long-polling). */
export interface HttpConnection extends Connection {
  readonly token: string;
  /** Client frames from an upstream POST (or the opening request's body), one at a time, in order. */
  receive(text: string): void;
  /** Called every `sseKeepalive` ms: a stream writes something so proxies keep it open. */
  keepalive(): void;
  /** The server shuts down (its sessions have ended): the connection ends. */
  shutdown(): void;
  /** A connection the client polls (long-polling) takes a poll that received batches up to `received`. */
  poll?(reply: PollResponder, received: number): void;
}

const UNKNOWN_CONNECTION = 'unknown_connection: no open connection with this token (it ended or never existed)';
const UNKNOWN_CONNECTION_ANSWER: NodeAnswer = { status: 404, headers: { 'content-type': 'text/plain' }, body: UNKNOWN_CONNECTION };

/** Time for another node to answer a passed-on POST, ms (a passed-on poll also gets the poll timeout). */
export const CALL_TIMEOUT = 5_000;

/**
 * The open HTTP connections (SSE, long-polling) by token, and their upstream: `POST {path}/send`
 * feeds client frames to the connection the request names (see docs/PROTOCOL.md, "Transports").
 * A connection lives in the process that opened it. On a cluster its token starts with that node's
 * id, and a POST or poll that a load balancer sends to another node is passed on to it over the
 * cluster bus: no sticky sessions needed.
 */
export class HttpConnections implements Endpoint {
  private readonly connections = new Map<string, HttpConnection>();
  private readonly keepaliveTimer: ReturnType<typeof setInterval>;
  /** Twice the session's buffer: a resume writes the welcome and a replay of up to the whole buffer at once, which must fit. */
  readonly limits: HttpConnectionLimits;
  private closing = false;
  /** One function for every connection (not a closure each): an ended connection is forgotten. */
  readonly forget = (connection: HttpConnection): void => {
    if (this.connections.get(connection.token) === connection) this.connections.delete(connection.token);
  };

  constructor(
    private readonly core: ServerCore,
    sseKeepalive: number,
  ) {
    // What a connection queues beyond that is bounded by the session's buffer (reliable frames) and
    // the slow-consumer guard; this bound catches a pile-up of control frames.
    this.limits = { maxBytes: 2 * core.options.outboundMaxBytes, maxFrames: 2 * core.options.outboundMaxFrames };
    // Comment lines keep idle streams open through proxies that time out quiet responses.
    this.keepaliveTimer = setInterval(() => {
      for (const connection of this.connections.values()) connection.keepalive();
    }, sseKeepalive);
    this.keepaliveTimer.unref?.();
    if (core.cluster) core.cluster.handlers.http = (call) => this.answerCall(call);
  }

  /** A token for a new connection; on a cluster it names this node. */
  newToken(): string {
    return this.core.cluster ? `${this.core.cluster.nodeId}.${randomToken(18)}` : randomToken(18);
  }

  /** A new connection opened by a request whose body was `hello` (and maybe more frames): they go to it, in order. */
  add(connection: HttpConnection, hello: string): void {
    this.connections.set(connection.token, connection);
    eachFrame(hello, (frame) => connection.receive(frame));
  }

  /** The connection of this node named by the request, or undefined after answering 404. */
  lookup(token: string, res: ServerResponse): HttpConnection | undefined {
    const connection = this.connections.get(token);
    if (!connection) replyText(res, 404, UNKNOWN_CONNECTION);
    return connection;
  }

  handleRequest(req: IncomingMessage, res: ServerResponse, route: string): boolean {
    if (route !== HttpPath.send) return false;
    if (answeredAtGate(req, res, this.core, this.closing) || !methodAllowed(req, res, 'POST')) return true;
    void this.upstream(req, res);
    return true;
  }

  /** Ends every HTTP connection (after the core ended the sessions); later POSTs get 503. */
  close(): void {
    this.closing = true;
    clearInterval(this.keepaliveTimer);
    for (const connection of [...this.connections.values()]) connection.shutdown();
  }

  /** Client frames, newline-separated, fed in order to the connection's controller. */
  private async upstream(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const token = tokenOf(req);
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
    if (!connection?.poll) return Promise.resolve(UNKNOWN_CONNECTION_ANSWER);
    // The asking node waits for the answer; if its client hangs up, the next poll ends this one.
    return new Promise((resolve) =>
      connection.poll!({ respond: (status, headers, body) => resolve({ status, headers, body }), onGone: () => {} }, call.received),
    );
  }

  /** Passes a request on to the node that holds its connection, and gives its answer as this response. */
  async passOn(res: ServerResponse, node: string, call: NodeCall, timeout: number): Promise<void> {
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

  /** On a cluster, the node that opened connection `token`, if it is not this one. */
  remoteOwner(token: string): string | null {
    const cluster = this.core.cluster;
    const dot = token.indexOf('.');
    if (!cluster || dot <= 0) return null;
    const node = token.slice(0, dot);
    return node === cluster.nodeId ? null : node;
  }
}

/** The connection token a request names ('' if none). */
export function tokenOf(req: IncomingMessage): string {
  const token = req.headers[HttpHeader.connection];
  return typeof token === 'string' ? token : '';
}
