import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { isValidChannelName } from '../protocol/channel.js';
import { CloseCode } from '../protocol/codes.js';
import type { Broker, HistoryQuery, HistoryResult } from './broker/broker.js';
import { MemoryBroker } from './broker/memory.js';
import { ClientScripts } from './client-script.js';
import { ServerCore } from './core.js';
import { resolveLimits } from './limits.js';
import { adaptLogger } from './logger.js';
import { renderPrometheus, type ServerStats } from './metrics.js';
import { resolveOptions, type ServerOptions } from './options.js';
import { pathnameOf } from './request-info.js';
import { HttpApi } from './http-api/http-api.js';
import { userIdOf } from './user-id.js';
import { Idempotency } from './idempotency.js';
import type { Endpoint } from './transports/endpoint.js';
import { createEndpoints } from './transports/endpoints.js';
import type { PatchOperation } from '../protocol/json-patch.js';
import { presenceChannel, presenceTarget, type PresenceDocument } from '../protocol/presence.js';
import { isStatePatchMessage } from '../protocol/state-message.js';
import { createPatch } from './state/diff.js';
import { type StatePosition, type StateView, toJson } from './state/state-store.js';
import { answerTestCommand, testModeHooks, type TestControlHost } from './test-mode.js';

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

interface Attachment {
  server: Server;
  onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  onRequest: RequestListener;
  previous: RequestListener[];
}

/** The reference Pushwire server. Create it with `createServer(options)`. */
export class PushwireServer {
  readonly broker: Broker;
  readonly path: string;
  private readonly core: ServerCore;
  /** The transports and the protocol's other HTTP endpoints, asked in turn for each request and upgrade under `path`. */
  private readonly endpoints: Endpoint[];
  private readonly scripts: ClientScripts;
  private readonly api: HttpApi | null;
  private readonly idempotency: Idempotency;
  private readonly ownsBroker: boolean;
  private readonly attachments: Attachment[] = [];
  private ownServer: Server | undefined;
  private closed = false;
  /** The test-mode control endpoint's view of this server; null unless the `testMode` option is on. */
  private readonly testControl: TestControlHost | null;

  constructor(options: ServerOptions = {}) {
    const resolved = resolveOptions(options);
    this.path = resolved.path;
    this.ownsBroker = options.broker === undefined;
    this.broker = options.broker ?? new MemoryBroker(options.history ? { history: options.history } : {});
    const hooks = options.testMode ? testModeHooks(options) : options;
    const logger = adaptLogger(options.logger);
    this.core = new ServerCore(
      resolved,
      resolveLimits(options.limits, resolved.maxPayload),
      this.broker,
      hooks,
      logger,
      resolved.transports,
    );
    const historyMessages = options.broker ? null : (options.history?.size ?? 1000);
    this.testControl = options.testMode
      ? {
          core: this.core,
          publish: (channel, data) => this.publish(channel, data),
          setState: (channel, doc) => this.setState(channel, doc),
          historyMessages,
        }
      : null;
    this.scripts = new ClientScripts(this.path);
    this.endpoints = createEndpoints(this.core, {
      pollTimeout: resolved.pollTimeout,
      sseKeepalive: resolved.sseKeepalive,
      channelStreams: options.channelStreams ?? true,
      hooks,
    });
    this.idempotency = new Idempotency(this.broker, options.idempotency);
    this.api = options.httpApi ? new HttpApi(this, `${this.path}/api`, options.httpApi, resolved.maxPayload, logger) : null;
  }

  /**
   * Serves Pushwire on an existing Node HTTP server (plain `http`, Express, Fastify…). Requests under
   * `path` are answered here; all others go to the request listeners the server already had.
   */
  attach(server: Server): this {
    const previous = server.listeners('request') as RequestListener[];
    server.removeAllListeners('request');
    const onRequest: RequestListener = (req, res) => {
      if (this.handleRequest(req, res)) return;
      if (previous.length === 0) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      for (const listener of previous) listener.call(server, req, res);
    };
    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
      const route = this.routeOf(req);
      if (route !== null && this.endpoints.some((endpoint) => endpoint.handleUpgrade?.(req, socket, head, route))) return;
      // Nobody else will answer an upgrade we don't take: refuse it rather than leave the socket hanging.
      if (server.listenerCount('upgrade') === 1) socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
    };
    server.on('request', onRequest);
    server.on('upgrade', onUpgrade);
    this.attachments.push({ server, onUpgrade, onRequest, previous });
    return this;
  }

  /**
   * Starts a plain HTTP server of its own on `port` (0 picks a free one), with tight header and request
   * timeouts against slowloris (a server you attach to keeps its own settings).
   */
  async listen(port: number, host = '0.0.0.0'): Promise<AddressInfo> {
    const server = createHttpServer({ headersTimeout: 10_000, requestTimeout: 30_000 });
    this.ownServer = server;
    this.attach(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return server.address() as AddressInfo;
  }

  /**
   * Handles a request if it is for one of Pushwire's HTTP endpoints; returns false otherwise. Use it
   * to mount Pushwire in a framework's router instead of `attach`.
   */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean {
    const route = this.routeOf(req);
    if (route === null) return false;
    if (route === '/metrics' && this.core.options.metrics) {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(this.metrics());
      return true;
    }
    if (route === '/test' && this.testControl) {
      void answerTestCommand(req, res, this.testControl);
      return true;
    }
    if (this.endpoints.some((endpoint) => endpoint.handleRequest(req, res, route))) return true;
    const pathname = this.path + route;
    if (this.scripts.handle(req, res, pathname)) return true;
    if (this.api?.handle(req, res, pathname)) return true;
    res.writeHead(404, { 'content-type': 'text/plain' }).end('unknown pushwire endpoint');
    return true;
  }

  /** The request's path below `path` (e.g. `/ws`), or null if it is not under `path`. */
  private routeOf(req: IncomingMessage): string | null {
    const pathname = pathnameOf(req);
    if (pathname !== this.path && !pathname.startsWith(`${this.path}/`)) return null;
    return pathname.slice(this.path.length);
  }

  /**
   * The URL path of the browser build this server serves (`'pushwire'`: the client, `window.Pushwire`;
   * `'pushwire-sync'`: its add-on), versioned by content so it can be cached for good, e.g.
   * `/pushwire/pushwire.3f2a…js`; null if the build is not beside the server's (a bundled server).
   * `{path}/pushwire.js` serves the same bytes, revalidated by ETag.
   */
  scriptPath(name: 'pushwire' | 'pushwire-sync' = 'pushwire'): string | null {
    return this.scripts.versionedPath(name);
  }

  /**
   * Publishes to a channel from the server; resolves with the message's epoch and sequence number. With
   * an `idempotencyKey`, a publish repeating one already made with the same key and channel (within the
   * `idempotency.ttl`) publishes nothing and resolves the first one's position with `duplicate: true`;
   * a reuse of the key for different data throws IdempotencyKeyReusedError.
   */
  async publish(channel: string, data: unknown, options: PublishOptions = {}): Promise<PublishResult> {
    if (!isValidChannelName(channel)) throw new TypeError(`pushwire: invalid channel name ${JSON.stringify(channel)}`);
    if (presenceTarget(channel) !== null || isStatePatchMessage(data)) {
      throw new TypeError('pushwire: presence channels and "$patch" messages are written by the state API only (setState/patchState)');
    }
    const json = JSON.stringify(data ?? null);
    if (options.idempotencyKey !== undefined) {
      const { epoch, seq, duplicate } = await this.idempotency.publish(channel, json, options.idempotencyKey);
      return { epoch, seq, duplicate };
    }
    const message = await this.broker.publish(channel, json);
    return { epoch: message.epoch, seq: message.seq, duplicate: false };
  }

  /** A channel's retained messages: the last `query.last`, or those after `query.after` (`ok: false` if history lost some). */
  history(channel: string, query: HistoryQuery): Promise<HistoryResult> {
    if (!isValidChannelName(channel)) throw new TypeError(`pushwire: invalid channel name ${JSON.stringify(channel)}`);
    return this.broker.history(channel, query);
  }

  /**
   * Ends the sessions of a user (see `userIdOf`) or one session, held by this server node, with close
   * `code` (default 4200: the client reconnects only with fresh credentials from an `auth` function).
   * Returns how many sessions ended.
   */
  disconnect(
    target: { user: string } | { session: string },
    code: number = CloseCode.Unauthorized,
    reason = 'disconnected by the application',
  ): number {
    const sessions =
      'session' in target
        ? [this.core.sessions.get(target.session)]
        : [...this.core.sessions.values()].filter((s) => userIdOf(s.user) === target.user);
    let ended = 0;
    for (const session of sessions) {
      if (!session || session.ended) continue;
      session.close(code, reason);
      ended++;
    }
    return ended;
  }

  /**
   * Sets a channel's state document. Subscribers get the difference from the previous document as one
   * JSON Patch message; nothing is published if the document did not change.
   */
  setState(channel: string, doc: unknown): Promise<StatePosition> {
    checkStateChannel(channel);
    const next = toJson(doc);
    return this.core.state.update(channel, (current) => createPatch(current, next));
  }

  /** Applies JSON Patch operations to a channel's state document; throws PatchError (publishing nothing) if they don't apply. */
  patchState(channel: string, operations: PatchOperation[]): Promise<StatePosition> {
    checkStateChannel(channel);
    return this.core.state.update(channel, () => operations);
  }

  /** A channel's state document (null: none) and the sequence number of its last change. */
  getState<T = unknown>(channel: string): Promise<StateView<T>> {
    if (!isValidChannelName(channel)) throw new TypeError(`pushwire: invalid channel name ${JSON.stringify(channel)}`);
    return this.core.state.read<T>(channel);
  }

  /** Who is present in a channel: member key → connection id → the metadata its client supplied. */
  async presence(channel: string): Promise<PresenceDocument> {
    const view = await this.core.state.read<PresenceDocument>(presenceChannel(channel));
    return view.state ?? {};
  }

  /** Sessions, connections per transport, channels and counters (messages, resumes, resets, evictions, limit hits). */
  stats(): ServerStats {
    return this.core.stats();
  }

  /** The stats in Prometheus text format (also served at `{path}/metrics` with the `metrics` option). */
  metrics(): string {
    return renderPrometheus(this.core.stats());
  }

  /**
   * Graceful shutdown: stops taking connections, tells every client to reconnect after a random delay
   * below `reconnectSpread` ms (default 5,000: no stampede on the next server), gives sockets up to
   * `grace` ms (default 2,000) to flush and close, then detaches from HTTP servers and stops all timers.
   */
  async close(options: { reconnectSpread?: number; grace?: number } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.api?.close();
    await this.core.close(options.reconnectSpread ?? 5_000);
    const grace = options.grace ?? 2_000;
    await Promise.all(this.endpoints.map((endpoint) => endpoint.close(grace)));
    for (const { server, onUpgrade, onRequest, previous } of this.attachments) {
      server.off('upgrade', onUpgrade);
      server.off('request', onRequest);
      for (const listener of previous) server.on('request', listener);
    }
    this.attachments.length = 0;
    if (this.ownServer) {
      const server = this.ownServer;
      this.ownServer = undefined;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    if (this.ownsBroker) await this.broker.close();
  }
}

export interface PublishOptions {
  /** Publish at most once per key and channel within the `idempotency.ttl` (a retry resolves the first publish). */
  idempotencyKey?: string;
}

export interface PublishResult {
  epoch: string;
  seq: number;
  /** True when `idempotencyKey` was used before: nothing was published, the position is the first publish's. */
  duplicate: boolean;
}

function checkStateChannel(channel: string): void {
  if (!isValidChannelName(channel)) throw new TypeError(`pushwire: invalid channel name ${JSON.stringify(channel)}`);
  if (presenceTarget(channel) !== null) throw new TypeError('pushwire: presence channels are written by the presence API only');
}

export function createServer(options?: ServerOptions): PushwireServer {
  return new PushwireServer(options);
}
