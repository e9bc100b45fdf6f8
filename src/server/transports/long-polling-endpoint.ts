import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpHeader, HttpPath } from '../../protocol/http.js';
import type { ServerCore } from '../core.js';
import { requestInfo } from '../request-info.js';
import type { Endpoint } from './endpoint.js';
import { bodyOrReply, replyText } from './http-body.js';
import { CALL_TIMEOUT, type HttpConnections, tokenOf } from './http-connections.js';
import { answeredAtGate, methodAllowed, transportEnabled } from './http-gate.js';
import { LongPollConnection } from './long-polling.js';
import { httpPollResponder } from './poll-responder.js';

/**
 * `{path}/poll`: a POST whose body is the `hello` frame (possibly followed by more frames) opens a
 * long-polling connection and is answered like its first poll; a GET naming the connection is a poll.
 * Client frames come in POSTs to `/send`. A poll for a connection of another node is passed on to it.
 */
export class LongPollingEndpoint implements Endpoint {
  private closing = false;

  constructor(
    private readonly core: ServerCore,
    private readonly connections: HttpConnections,
    private readonly pollTimeout: number,
  ) {}

  handleRequest(req: IncomingMessage, res: ServerResponse, route: string): boolean {
    if (route !== HttpPath.poll) return false;
    if (answeredAtGate(req, res, this.core, this.closing)) return true;
    if (!transportEnabled(this.core, 'long-polling', res) || !methodAllowed(req, res, 'POST', 'GET')) return true;
    if (req.method === 'POST') void this.open(req, res);
    else this.poll(req, res);
    return true;
  }

  /** Its connections end with the others in HttpConnections. */
  close(): void {
    this.closing = true;
  }

  private async open(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const hello = await bodyOrReply(req, res, this.core.options.maxPayload);
    if (hello === undefined || res.destroyed) return;
    const { core, connections } = this;
    const request = requestInfo(req, core.options.trustProxy);
    const token = connections.newToken();
    const connection = new LongPollConnection(token, core, request, this.pollTimeout, connections.limits, connections.forget);
    connections.add(connection, hello);
    connection.poll(httpPollResponder(req, res), 0);
  }

  private poll(req: IncomingMessage, res: ServerResponse): void {
    const received = Number(req.headers[HttpHeader.received] ?? 0);
    if (!Number.isSafeInteger(received) || received < 0)
      return replyText(res, 400, `${HttpHeader.received} must be a non-negative integer`);
    const token = tokenOf(req);
    const owner = this.connections.remoteOwner(token);
    if (owner) {
      void this.connections.passOn(res, owner, { kind: 'poll', token, received }, this.pollTimeout + CALL_TIMEOUT);
      return;
    }
    const connection = this.connections.lookup(token, res);
    if (!connection) return;
    if (!connection.poll) return replyText(res, 400, 'this connection is not a long-polling connection');
    connection.poll(httpPollResponder(req, res), received);
  }
}
