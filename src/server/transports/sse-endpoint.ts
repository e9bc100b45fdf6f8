import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpPath } from '../../protocol/http.js';
import type { ServerCore } from '../core.js';
import { requestInfo } from '../request-info.js';
import type { Endpoint } from './endpoint.js';
import { bodyOrReply } from './http-body.js';
import type { HttpConnections } from './http-connections.js';
import { answeredAtGate, methodAllowed, transportEnabled } from './http-gate.js';
import { SseConnection } from './sse.js';

/**
 * `POST {path}/sse`, body = the `hello` frame (possibly followed by more frames, `\n`-separated): opens
 * an SSE connection; the response is its event stream. Its client frames come in POSTs to `/send`.
 */
export class SseEndpoint implements Endpoint {
  private closing = false;

  constructor(
    private readonly core: ServerCore,
    private readonly connections: HttpConnections,
  ) {}

  handleRequest(req: IncomingMessage, res: ServerResponse, route: string): boolean {
    if (route !== HttpPath.sse) return false;
    if (answeredAtGate(req, res, this.core, this.closing)) return true;
    if (!transportEnabled(this.core, 'sse', res) || !methodAllowed(req, res, 'POST')) return true;
    void this.open(req, res);
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
    connections.add(new SseConnection(connections.newToken(), res, core, request, connections.limits, connections.forget), hello);
  }
}
