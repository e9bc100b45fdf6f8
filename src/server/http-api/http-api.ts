import type { IncomingMessage, ServerResponse } from 'node:http';
import { CloseCode } from '../../protocol/codes.js';
import { PatchError, type PatchOperation } from '../../protocol/json-patch.js';
import { isStatePatchMessage } from '../../protocol/state-message.js';
import type { HistoryQuery } from '../broker/broker.js';
import { IdempotencyKeyReusedError, isValidIdempotencyKey } from '../idempotency.js';
import type { Logger } from '../logger.js';
import type { PushwireServer } from '../server.js';
import { ApiBody, readableChannel } from './api-body.js';
import { ApiError, invalidField, replyError, replyJson } from './api-error.js';
import { ApiKeys } from './api-keys.js';

export interface HttpApiOptions {
  /** Accepted API keys (`Authorization: Bearer <key>`), at least 16 characters each. Several: for rotation. */
  keys: string[];
}

/** What the HTTP API does with the server: its public methods. */
export type ApiTarget = Pick<PushwireServer, 'publish' | 'setState' | 'patchState' | 'getState' | 'presence' | 'history' | 'disconnect'>;

type Handler = (req: IncomingMessage, url: URL) => Promise<ApiAnswer>;

interface ApiAnswer {
  status?: number;
  /** The JSON body, already serialized. */
  json: string;
  headers?: Record<string, string>;
}

interface Route {
  method: 'GET' | 'POST';
  handler: Handler;
}

/** Most history messages one request returns (the default history keeps 1,000 per channel). */
const MAX_HISTORY_LIMIT = 1000;

/**
 * The HTTP API for other backends (see docs/HTTP-API.md): JSON in and out at `{path}/api/…`, every
 * request authenticated by an API key. It does nothing the server's own methods don't do; it makes them
 * reachable from a Python, Go, PHP or Ruby backend.
 */
export class HttpApi {
  private readonly keys: ApiKeys;
  private readonly routes: ReadonlyMap<string, Route>;
  private closing = false;

  constructor(
    private readonly server: ApiTarget,
    private readonly prefix: string,
    options: HttpApiOptions,
    private readonly maxBody: number,
    private readonly logger: Logger,
  ) {
    this.keys = new ApiKeys(options.keys);
    this.routes = new Map<string, Route>([
      ['/publish', { method: 'POST', handler: (req) => this.publish(req) }],
      ['/state', { method: 'GET', handler: (_req, url) => this.readState(url) }],
      ['/state/set', { method: 'POST', handler: (req) => this.setState(req) }],
      ['/state/patch', { method: 'POST', handler: (req) => this.patchState(req) }],
      ['/presence', { method: 'GET', handler: (_req, url) => this.presence(url) }],
      ['/history', { method: 'GET', handler: (_req, url) => this.history(url) }],
      ['/disconnect', { method: 'POST', handler: (req) => this.disconnect(req) }],
    ]);
  }

  /** Answers the request if its path is under the API's prefix; returns false otherwise. */
  handle(req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
    if (pathname !== this.prefix && !pathname.startsWith(`${this.prefix}/`)) return false;
    void this.answer(req, res, pathname.slice(this.prefix.length));
    return true;
  }

  /** Later requests get 503. */
  close(): void {
    this.closing = true;
  }

  private async answer(req: IncomingMessage, res: ServerResponse, route: string): Promise<void> {
    try {
      if (this.closing) throw new ApiError(503, 'shutting_down', 'the server is shutting down', undefined, { 'retry-after': '1' });
      if (!this.keys.accepts(req.headers.authorization)) {
        throw new ApiError(401, 'unauthorized', 'a valid API key is required: Authorization: Bearer <key>', undefined, {
          'www-authenticate': 'Bearer',
        });
      }
      const target = this.routes.get(route);
      if (!target) throw new ApiError(404, 'not_found', `no API endpoint ${route || '/'}`);
      if (req.method !== target.method) {
        throw new ApiError(405, 'method_not_allowed', `${route} takes ${target.method}`, undefined, { allow: target.method });
      }
      const answer = await target.handler(req, new URL(req.url ?? '/', 'http://localhost'));
      replyJson(res, answer.status ?? 200, answer.json, answer.headers);
    } catch (error) {
      // Whatever of the body was not read is drained, so the connection stays usable.
      req.resume();
      replyError(res, this.apiError(error));
    }
  }

  private apiError(error: unknown): ApiError {
    if (error instanceof ApiError) return error;
    if (error instanceof IdempotencyKeyReusedError) return new ApiError(409, 'idempotency_key_reused', error.message);
    if (error instanceof PatchError) return new ApiError(422, 'patch_failed', error.message, 'ops');
    this.logger.error('HTTP API request failed', { error: String(error) });
    return new ApiError(500, 'internal', 'internal server error');
  }

  private async publish(req: IncomingMessage): Promise<ApiAnswer> {
    const key = req.headers['idempotency-key'];
    if (key !== undefined && !isValidIdempotencyKey(key)) {
      throw new ApiError(
        400,
        'invalid_idempotency_key',
        'the Idempotency-Key header is 1–255 printable ASCII characters',
        'Idempotency-Key',
      );
    }
    const body = await ApiBody.read(req, this.maxBody, ['channel', 'data']);
    const channel = body.channel();
    const data = body.required('data');
    if (isStatePatchMessage(data))
      throw invalidField('data', '"$patch" messages are written by the state API only (/state/set, /state/patch)');
    const result = await this.server.publish(channel, data, key === undefined ? {} : { idempotencyKey: key });
    return {
      json: JSON.stringify({ channel, epoch: result.epoch, seq: result.seq, duplicate: result.duplicate }),
      // The name Stripe's API uses for an answer repeated from the key's first use.
      headers: result.duplicate ? { 'idempotent-replayed': 'true' } : {},
    };
  }

  private async readState(url: URL): Promise<ApiAnswer> {
    const channel = readableChannel(url.searchParams.get('channel'));
    const view = await this.server.getState(channel);
    return { json: JSON.stringify({ channel, epoch: view.epoch, seq: view.seq, state: view.state }) };
  }

  private async setState(req: IncomingMessage): Promise<ApiAnswer> {
    const body = await ApiBody.read(req, this.maxBody, ['channel', 'state']);
    const channel = body.channel();
    const position = await this.server.setState(channel, body.required('state'));
    return { json: JSON.stringify({ channel, epoch: position.epoch, seq: position.seq }) };
  }

  private async patchState(req: IncomingMessage): Promise<ApiAnswer> {
    const body = await ApiBody.read(req, this.maxBody, ['channel', 'ops']);
    const channel = body.channel();
    const ops = body.required('ops');
    if (!Array.isArray(ops) || ops.some((op) => typeof op !== 'object' || op === null || Array.isArray(op))) {
      throw invalidField('ops', 'field "ops" must be an array of JSON Patch operations (RFC 6902)');
    }
    const position = await this.server.patchState(channel, ops as PatchOperation[]);
    return { json: JSON.stringify({ channel, epoch: position.epoch, seq: position.seq }) };
  }

  private async presence(url: URL): Promise<ApiAnswer> {
    const channel = readableChannel(url.searchParams.get('channel'));
    return { json: JSON.stringify({ channel, members: await this.server.presence(channel) }) };
  }

  /**
   * The last `limit` messages, or the first `limit` after sequence number `after` of epoch `epoch` (page
   * on from the last one's `seq`); `complete: false` when history no longer holds all of them.
   */
  private async history(url: URL): Promise<ApiAnswer> {
    const channel = readableChannel(url.searchParams.get('channel'));
    const limit = integerParam(url, 'limit', 100);
    if (limit < 0 || limit > MAX_HISTORY_LIMIT) throw invalidField('limit', `limit must be an integer from 0 to ${MAX_HISTORY_LIMIT}`);
    const after = url.searchParams.get('after');
    const epoch = url.searchParams.get('epoch');
    if ((after === null) !== (epoch === null)) throw invalidField(after === null ? 'after' : 'epoch', '"after" and "epoch" go together');
    const query: HistoryQuery = after !== null && epoch !== null ? { after: [epoch, integerParam(url, 'after', 0)] } : { last: limit };
    const result = await this.server.history(channel, query);
    // Each message's payload is already JSON: spliced in as it is, not parsed and serialized again.
    const messages = result.ok ? result.messages.slice(0, limit).map((m) => `{"seq":${m.seq},"time":${m.time},"data":${m.json}}`) : [];
    const head = JSON.stringify({ channel, epoch: result.epoch, head: result.head, complete: result.ok });
    return { json: `${head.slice(0, -1)},"messages":[${messages.join(',')}]}` };
  }

  private async disconnect(req: IncomingMessage): Promise<ApiAnswer> {
    const body = await ApiBody.read(req, this.maxBody, ['user', 'session', 'code', 'reason']);
    const user = body.string('user');
    const session = body.string('session');
    if ((user === undefined) === (session === undefined)) throw invalidField('user', 'give exactly one of "user" and "session"');
    const code = body.has('code') ? body.required('code') : CloseCode.Unauthorized;
    if (typeof code !== 'number' || !Number.isInteger(code) || code < 4000 || code > 4299)
      throw invalidField('code', 'code must be a close code from 4000 to 4299');
    const reason = body.string('reason') ?? 'disconnected by the application';
    const disconnected = this.server.disconnect(user !== undefined ? { user } : { session: session! }, code, reason);
    if (session !== undefined && disconnected === 0)
      throw new ApiError(404, 'unknown_session', 'no session with this id on this server node', 'session');
    return { json: JSON.stringify({ disconnected }) };
  }
}

function integerParam(url: URL, name: string, fallback: number): number {
  const text = url.searchParams.get(name);
  if (text === null) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) throw invalidField(name, `"${name}" must be a non-negative integer`);
  return value;
}
