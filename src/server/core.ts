import { ClusterSessions } from './cluster/cluster-sessions.js';
import { CloseCode } from '../protocol/codes.js';
import type { HelloFrame, TransportName } from '../protocol/frames.js';
import { PROTOCOL_VERSION } from '../protocol/version.js';
import type { Broker } from './broker/broker.js';
import { ChannelRegistry } from './channels.js';
import { monotonicNow } from './clock.js';
import type { Connection } from './connection.js';
import { PING_FRAME, closeFrame, errorFrame, welcomeFrame } from './frames.js';
import { AddressCounts, type ResolvedLimits } from './limits.js';
import type { Logger } from './logger.js';
import { Counters, type ServerStats } from './metrics.js';
import {
  ALL_TRANSPORTS,
  type AuthResult,
  type HandshakeInfo,
  type ResolvedOptions,
  type ServerHooks,
  type SessionEndReason,
} from './options.js';
import { randomToken } from './random.js';
import { secretMatches } from './session-secret.js';
import { userIdentity } from './user-identity.js';
import { answerRequest } from './requests.js';
import { SlowConsumerGuard } from './slow-consumer.js';
import { MemoryBudget, type MemoryLevel, type SessionMemory } from './memory-budget.js';
import { type InboundItem, ServerSession, type SessionHost } from './session.js';
import { presenceTarget } from '../protocol/presence.js';
import { isStatePatchMessage } from '../protocol/state-message.js';
import { PresenceRefusal, PresenceRegistry } from './presence/presence-registry.js';
import { answerGet } from './state/snapshot-frame.js';
import { StateStore } from './state/state-store.js';
import type { StoredSession } from './cluster/cluster-link.js';

/** Why a handshake that `authorize` accepted is still refused: the connection closes with `code`. */
export interface HandshakeRefusal {
  code: number;
  reason: string;
}

/** What a handshake opens: a session, or a refusal. */
export type OpenedSession = { session: ServerSession } | { refused: HandshakeRefusal };

const SERVER_FULL = { refused: { code: CloseCode.ServerFull, reason: 'too many sessions; try again later' } };
const OTHER_USER = { refused: { code: CloseCode.OtherUser, reason: 'this session belongs to another user; start a new session' } };

/**
 * The session layer of the server, shared by every transport: handshakes, sessions and their expiry,
 * heartbeats, and what each client frame does.
 */
export class ServerCore implements SessionHost {
  readonly sessions = new Map<string, ServerSession>();
  readonly channels: ChannelRegistry;
  readonly state: StateStore;
  readonly presence: PresenceRegistry;
  readonly counters = new Counters();
  /** What sessions hold, per session, per address and in total, and the policy when a budget is hit. */
  readonly memory: MemoryBudget;
  /** Session records shared with the other nodes, when the broker is shared by several (Redis). */
  readonly cluster: ClusterSessions | null;
  /** Sessions per client address, for maxSessionsPerAddress. */
  private readonly perAddress = new AddressCounts();
  /** Channel streams: sessions outside `sessions` (they are never resumed), counted against the same limits. */
  private streamSessions = 0;
  /** Connections per client address that have not finished their handshake, for maxHandshakesPerAddress. */
  private readonly handshakes = new AddressCounts();
  private readonly heartbeat: ReturnType<typeof setInterval>;
  private readonly slow: SlowConsumerGuard;

  constructor(
    readonly options: ResolvedOptions,
    readonly limits: ResolvedLimits,
    readonly broker: Broker,
    private readonly hooks: ServerHooks,
    readonly logger: Logger,
    readonly transports: TransportName[],
  ) {
    this.channels = new ChannelRegistry(broker, logger, this.counters);
    this.state = new StateStore(broker);
    const link = broker.cluster?.() ?? null;
    this.presence = new PresenceRegistry(this.state, logger, options.presence, link ?? undefined);
    this.cluster = link
      ? new ClusterSessions(link, logger, {
          release: (sid) => this.release(sid),
          bye: (sid) => this.bye(sid),
          purgePresence: (node, channels) => this.presence.purgeNode(node, channels),
          lost: (sid) => this.lost(sid),
          fenced: () => {
            for (const session of [...this.sessions.values()]) this.lose(session);
          },
        })
      : null;
    this.cluster
      ?.start(() => this.sessions.keys(), options.sessionTtl)
      .catch((error: unknown) => {
        logger.error('joining the cluster failed: sessions of this node cannot move to others', { error: String(error) });
      });
    this.memory = new MemoryBudget(options.memory, this.counters, (memory, level) => this.shed(memory, level));
    const bounds = {
      maxPendingBytes: options.slowMaxPendingBytes,
      maxStallTime: options.slowMaxStallTime,
      maxReceiptStall: options.slowMaxReceiptStall,
    };
    this.slow = new SlowConsumerGuard(bounds, (session, kind) => {
      const reason =
        kind === 'drain'
          ? `writes did not drain within ${options.slowMaxStallTime} ms`
          : `receipts did not advance within ${options.slowMaxReceiptStall} ms`;
      this.logger.warn(`session evicted: ${reason}`, {
        session: session.id,
        pendingBytes: session.connection?.pendingBytes,
        unacked: session.out.bytes,
      });
      this.endSession(session, 'evicted', CloseCode.SlowConsumer, `slow consumer: ${reason}`);
    });
    this.heartbeat = setInterval(() => this.sweep(), options.heartbeatInterval);
    this.heartbeat.unref?.();
  }

  stats(): ServerStats {
    const byTransport = Object.fromEntries(ALL_TRANSPORTS.map((name) => [name, 0])) as Record<TransportName, number>;
    let connected = 0;
    for (const session of this.sessions.values()) {
      const transport = session.connection?.transport;
      if (!transport) continue;
      connected++;
      byTransport[transport]++;
    }
    return {
      sessions: this.sessions.size,
      connected,
      byTransport,
      channels: this.channels.size,
      memory: this.memory.stats(),
      counters: this.counters,
    };
  }

  async authorize(info: HandshakeInfo): Promise<AuthResult> {
    if (!this.hooks.authorize) return { ok: true };
    try {
      return await this.hooks.authorize(info);
    } catch (error) {
      this.logger.warn('authorize hook threw; handshake refused', { error: String(error) });
      return { ok: false, reason: 'authorization failed' };
    }
  }

  /**
   * Binds a connection to the session `hello` asks to resume, or to a new one. A resume needs the right
   * secret and a receipt count the session can still replay from; anything else silently gets a new
   * session, so a wrong secret does not reveal whether a session exists. `user` is what `authorize` just
   * returned for this connection: a resume must not change who the session is, so a session of another
   * user is refused (4201). On a cluster, a session held by another node (or left by a dead one) is taken
   * over from its record: a `resync` resume. Also refused: a new session that would cross a session
   * limit (4005). The caller closes the connection with a refusal's code.
   */
  async openSession(hello: HelloFrame, user: unknown, connection: Connection, remoteAddress: string): Promise<OpenedSession> {
    let session = this.findResumable(hello);
    let resumed = session !== undefined;
    let resync = false;
    if (session) {
      if (userIdentity(session.user) !== userIdentity(user)) return this.otherUser(session.id);
      this.counters.sessionsResumed++;
      if (session.lastTransport !== connection.transport) this.counters.transportSwitches++;
    } else {
      if (!this.admits(remoteAddress)) return SERVER_FULL;
      const full = this.memory.refusesSession(remoteAddress);
      if (full) {
        this.memory.refused(full);
        return SERVER_FULL;
      }
      let record = await this.storedSession(hello, userIdentity(user));
      if (record === 'other_user') return this.otherUser(hello.sid!);
      if (record && this.sessions.has(hello.sid!)) record = null; // another connection took it over meanwhile
      session = this.newSession(record ? hello.sid! : randomToken(16), record ? hello.secret! : randomToken(24), user, remoteAddress);
      if (record) {
        await this.cluster!.adopt(session, record, hello.rx!);
        resumed = resync = true;
        this.counters.sessionsAdopted++;
      } else {
        this.counters.sessionsOpened++;
        await this.cluster?.opened(session);
      }
    }
    const rx = resumed && !resync ? hello.rx! : 0;
    const welcome = welcomeFrame({
      v: PROTOCOL_VERSION,
      sid: session.id,
      secret: session.secret,
      resumed,
      ...(resync ? { resync } : {}),
      rx,
      hb: this.options.heartbeatInterval,
      max: this.options.maxPayload,
      tr: this.transports,
    });
    session.attach(connection, welcome, rx);
    if (!resumed || resync) this.hooks.onConnection?.(session);
    this.logger.debug('session open', { session: session.id, resumed, resync, transport: connection.transport });
    return { session };
  }

  /** Whether one more session from `remoteAddress` stays within the session limits; counts the limit hit if not. */
  private admits(remoteAddress: string): boolean {
    const total = this.sessions.size + this.streamSessions;
    if (total < this.limits.maxSessions && this.perAddress.of(remoteAddress) < this.limits.maxSessionsPerAddress) return true;
    this.counters.limitHits[total >= this.limits.maxSessions ? 'sessions' : 'sessions_per_address']++;
    return false;
  }

  /** A channel stream starts: counted as a session, or false if it would cross a session limit. */
  openStream(remoteAddress: string): boolean {
    if (!this.admits(remoteAddress)) return false;
    this.streamSessions++;
    this.perAddress.add(remoteAddress);
    return true;
  }

  streamEnded(remoteAddress: string): void {
    this.streamSessions--;
    this.perAddress.remove(remoteAddress);
  }

  /** A connection starts its handshake: counted, or false if its address has too many in progress. */
  startHandshake(remoteAddress: string): boolean {
    if (this.handshakes.of(remoteAddress) >= this.limits.maxHandshakesPerAddress) {
      this.counters.limitHits.handshakes_per_address++;
      return false;
    }
    this.handshakes.add(remoteAddress);
    return true;
  }

  handshakeEnded(remoteAddress: string): void {
    this.handshakes.remove(remoteAddress);
  }

  private newSession(id: string, secret: string, user: unknown, remoteAddress: string): ServerSession {
    this.perAddress.add(remoteAddress);
    const memory = this.memory.open(id, remoteAddress);
    const session = new ServerSession(
      id,
      secret,
      user,
      {
        maxFrames: this.options.outboundMaxFrames,
        maxBytes: this.options.outboundMaxBytes,
        framesPerSecond: this.limits.framesPerSecond,
        frameBurst: this.limits.frameBurst,
        bytesPerSecond: this.limits.bytesPerSecond,
        byteBurst: this.limits.byteBurst,
      },
      this,
      this.counters,
      memory,
    );
    this.sessions.set(session.id, session);
    return session;
  }

  /** A resume with the credentials of another user than the session's: refused, the session stays as it is. */
  private otherUser(sid: string): OpenedSession {
    this.counters.limitHits.other_user++;
    this.logger.warn('a session was resumed with the credentials of another user; refused', { session: sid });
    return OTHER_USER;
  }

  /** On a cluster: the record of the session `hello` resumes, when no session of this node has its id. */
  private async storedSession(hello: HelloFrame, user: string): Promise<StoredSession | 'other_user' | null> {
    if (!this.cluster || hello.sid === undefined || hello.secret === undefined || hello.rx === undefined || this.sessions.has(hello.sid))
      return null;
    try {
      return await this.cluster.find(hello.sid, hello.secret, user);
    } catch (error) {
      this.logger.warn('session record lookup failed; starting a new session', { session: hello.sid, error: String(error) });
      return null;
    }
  }

  /**
   * A goodbye outside any connection (`POST {path}/bye`, sent while a page unloads): ends the session
   * `sid` if `secret` is its secret, here or on the node of the cluster that holds it. Anything else is
   * ignored, after the same work for an unknown session as for a wrong secret.
   */
  async goodbye(sid: string, secret: string): Promise<void> {
    const session = this.liveSession(sid);
    if (secretMatches(session?.secret, secret)) this.bye(sid);
    else if (!session) await this.cluster?.goodbye(sid, secret);
  }

  /** The client said goodbye: its session ends now instead of expiring. */
  bye(sid: string): void {
    const session = this.sessions.get(sid);
    if (session) this.endSession(session, 'bye', CloseCode.Normal, 'bye');
  }

  /** Another node takes this session over: it ends here as moved, once the frame being handled is done and recorded. */
  private async release(sid: string): Promise<void> {
    const session = this.sessions.get(sid);
    if (!session) return;
    this.endSession(session, 'moved', CloseCode.Replaced, 'the session moved to another server node');
    await session.idle();
    await session.mirror?.settled();
  }

  /** Another node holds the session's record now: it ends here without touching the record. */
  private lost(sid: string): void {
    const session = this.sessions.get(sid);
    if (session) this.lose(session);
  }

  /** Ends a session this node may no longer hold; a client still connected here resumes it (wherever it lands). */
  private lose(session: ServerSession): void {
    this.endSession(session, 'moved', CloseCode.ServerShutdown, 'this server node no longer holds the session; resume it');
  }

  /** The connection ended; the session waits `sessionTtl` for the client to come back. */
  detach(session: ServerSession, connection: Connection): void {
    session.detach(connection, this.options.sessionTtl, this.expire);
  }

  /** A session whose client stayed away for the session TTL ends. */
  private readonly expire = (session: ServerSession): void => this.endSession(session, 'expired');

  /**
   * The connection ended before its session was open (e.g. while a stalled Redis held the session's
   * record write). A session its client never heard of can never be resumed: it ends now instead of
   * counting against the session limits for `sessionTtl`. One the client asked to resume waits for it.
   */
  abandoned(session: ServerSession, connection: Connection, hello: HelloFrame): void {
    if (hello.sid === session.id) this.detach(session, connection);
    else this.endSession(session, 'expired');
  }

  endSession(session: ServerSession, reason: SessionEndReason, code: number = CloseCode.ServerShutdown, message: string = reason): void {
    if (session.ended) return;
    session.end();
    this.sessions.delete(session.id);
    this.counters.sessionsEnded[reason]++;
    this.perAddress.remove(session.remoteAddress);
    this.cluster?.ended(session, reason === 'moved');
    this.channels.unsubscribeAll(session);
    void this.presence.leaveAll(session);
    session.out.clear();
    this.memory.close(session.memory);
    session.disconnect(code, message);
    this.logger.debug('session end', { session: session.id, reason });
    try {
      this.hooks.onClose?.(session, reason);
    } catch (error) {
      this.logger.error('onClose hook threw', { error: String(error) });
    }
  }

  // ---- SessionHost ----

  overflow(session: ServerSession): void {
    this.logger.warn('session outbound buffer full; session evicted', {
      session: session.id,
      frames: session.out.size,
      bytes: session.out.bytes,
    });
    this.endSession(session, 'evicted', CloseCode.SlowConsumer, 'outbound buffer overflow: the client could not keep up');
  }

  wrote(session: ServerSession): void {
    this.slow.wrote(session);
  }

  /** The memory budget of the session's address or of the process is crossed: it goes, the largest first. */
  private shed(memory: SessionMemory, level: MemoryLevel): void {
    const session = this.sessions.get(memory.sessionId);
    if (!session || session.memory !== memory) return;
    const budget = level === 'address' ? 'memory budget of this client address' : 'server memory budget';
    this.logger.warn(`session evicted: ${budget} exceeded`, { session: session.id, bytes: memory.bytes });
    this.endSession(session, 'evicted', CloseCode.SlowConsumer, `${budget} exceeded`);
  }

  end(session: ServerSession, code: number, reason: string): void {
    this.endSession(session, 'closed', code, reason);
  }

  mayHandle(): boolean | Promise<boolean> {
    return this.cluster ? this.cluster.mayHandle() : true;
  }

  async handle(session: ServerSession, item: InboundItem): Promise<void> {
    if ('refused' in item) {
      session.enqueue(errorFrame(item.refused.code, item.refused.msg, item.s, item.refused.ch));
      return;
    }
    const frame = item.frame;
    try {
      switch (frame.t) {
        case 'sub':
        case 'get':
        case 'join':
        case 'leave':
          if (frame.t === 'sub' && !session.subscriptions.has(frame.ch) && session.subscriptions.size >= this.limits.maxSubscriptions) {
            this.counters.limitHits.subscriptions++;
            session.enqueue(
              errorFrame('limit_exceeded', `at most ${this.limits.maxSubscriptions} subscriptions per session`, frame.s, frame.ch),
            );
            return;
          }
          // A `$presence:` channel is readable by whoever may subscribe to the channel it belongs to.
          if (!(await this.allowed(this.hooks.canSubscribe, true, session, presenceTarget(frame.ch) ?? frame.ch))) {
            session.enqueue(errorFrame('forbidden', `not allowed to subscribe to "${frame.ch}"`, frame.s, frame.ch));
            return;
          }
          if (frame.t === 'sub') await this.channels.subscribe(session, frame.ch, frame.from, frame.rewind, frame.s);
          else if (frame.t === 'get') session.enqueue(await answerGet(this.broker, frame.s, frame.ch, this.options.outboundMaxBytes / 2));
          else if (frame.t === 'join') await this.presence.join(session, frame.ch, frame.meta);
          else await this.presence.leave(session, frame.ch);
          return;
        case 'unsub':
          this.channels.unsubscribe(session, frame.ch);
          return;
        case 'pub':
          if (presenceTarget(frame.ch) !== null || isStatePatchMessage(frame.d)) {
            session.enqueue(
              errorFrame('forbidden', 'presence channels and "$patch" messages are written by the server only', frame.s, frame.ch),
            );
            return;
          }
          if (!(await this.allowed(this.hooks.canPublish, false, session, frame.ch, frame.d))) {
            session.enqueue(errorFrame('forbidden', `not allowed to publish to "${frame.ch}"`, frame.s, frame.ch));
            return;
          }
          await this.publishClientFrame(session, frame.ch, JSON.stringify(frame.d ?? null), frame.s);
          return;
        case 'msg':
          if (!this.hooks.onMessage) {
            session.enqueue(errorFrame('no_handler', 'this server does not accept messages (no onMessage hook)', frame.s));
            return;
          }
          try {
            await this.hooks.onMessage(session, frame.d);
          } catch (error) {
            session.enqueue(errorFrame('handler_error', error instanceof Error ? error.message : String(error), frame.s));
          }
          return;
        case 'req':
          await answerRequest(session, frame.s, frame.d, this.hooks.onRequest?.bind(this.hooks));
          return;
      }
    } catch (error) {
      if (error instanceof PresenceRefusal) {
        session.enqueue(errorFrame(error.code, error.message, frame.s, 'ch' in frame ? frame.ch : undefined));
        return;
      }
      this.logger.error('frame handling failed', { session: session.id, type: frame.t, error: String(error) });
      session.enqueue(errorFrame('internal', 'internal server error', frame.s));
    }
  }

  /**
   * Ends every session. Each connected client first gets a close frame telling it to reconnect after a
   * random delay below `reconnectSpread` ms, so a fleet of clients does not stampede the next server.
   */
  async close(reconnectSpread: number): Promise<void> {
    clearInterval(this.heartbeat);
    this.slow.close();
    const reason = 'server shutting down';
    // On a cluster the sessions move on: their records stay for the node each client reconnects to.
    const ending = this.cluster ? 'moved' : 'closed';
    const sessions = [...this.sessions.values()];
    for (const session of sessions) {
      session.flushAck();
      session.connection?.send(closeFrame(CloseCode.ServerShutdown, reason, reconnectSpread));
      this.endSession(session, ending, CloseCode.ServerShutdown, reason);
    }
    await this.presence.settled(); // the sessions' presence entries are gone from the broker before it closes
    await this.channels.close();
    if (this.cluster) {
      await Promise.all(sessions.map(async (session) => (await session.idle(), await session.mirror?.settled())));
      await this.cluster.link.close();
    }
  }

  /** On a shared broker, at most once: the frame may come again through another node if this one dies unacknowledged. */
  private async publishClientFrame(session: ServerSession, channel: string, json: string, seq: number): Promise<void> {
    if (this.cluster && this.broker.publishOnce)
      await this.broker.publishOnce(channel, json, { session: session.id, seq, ttl: 2 * this.options.sessionTtl });
    else await this.broker.publish(channel, json);
  }

  private async allowed<A extends unknown[]>(
    hook: ((session: ServerSession, ...args: A) => boolean | Promise<boolean>) | undefined,
    fallback: boolean,
    session: ServerSession,
    ...args: A
  ): Promise<boolean> {
    return hook ? (await hook(session, ...args)) === true : fallback;
  }

  private findResumable(hello: HelloFrame): ServerSession | undefined {
    if (hello.sid === undefined || hello.secret === undefined || hello.rx === undefined) return undefined;
    const session = this.liveSession(hello.sid);
    // Checked for an unknown session too (against a stand-in): the answer's timing must not tell them apart.
    if (!secretMatches(session?.secret, hello.secret)) return undefined;
    return session!.out.canReplayFrom(hello.rx) ? session : undefined;
  }

  private liveSession(sid: string): ServerSession | undefined {
    const session = this.sessions.get(sid);
    return session && !session.ended ? session : undefined;
  }

  /** Pings every connected session and drops connections that have been silent past interval + grace. */
  private sweep(): void {
    const deadline = monotonicNow() - this.options.heartbeatInterval - this.options.heartbeatGrace;
    for (const session of this.sessions.values()) {
      const connection = session.connection;
      if (!connection) continue;
      if (session.lastSeen < deadline) {
        this.counters.heartbeatTimeouts++;
        this.logger.debug('heartbeat timeout', { session: session.id });
        this.detach(session, connection);
        connection.close(CloseCode.HeartbeatTimeout, 'heartbeat timeout');
      } else {
        connection.send(PING_FRAME);
      }
    }
  }
}
