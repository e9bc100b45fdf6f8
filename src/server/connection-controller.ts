import { CloseCode } from '../protocol/codes.js';
import type { ClientFrame, HelloFrame } from '../protocol/frames.js';
import { parseClientFrame, type ParseResult } from '../protocol/validate.js';
import { PROTOCOL_VERSION } from '../protocol/version.js';
import { monotonicNow } from './clock.js';
import type { Connection, ConnectionHandler } from './connection.js';
import type { ServerCore } from './core.js';
import { errorFrame, pongFrame } from './frames.js';
import type { RequestInfo } from './options.js';
import type { ServerSession } from './session.js';

/** Frames a client may send after `hello` and before `welcome` arrives; more is a broken client. */
const MAX_EARLY_FRAMES = 256;
/**
 * Pings answered before `hello`. The upgrade probe sends one; a peer that sends many and never reads
 * the pongs would pile them up in the server's write buffer, so past this it is cut off.
 */
const MAX_PROBE_PINGS = 8;

/**
 * The protocol on one connection: first the handshake (hello → authorize → welcome), then routing of
 * each frame to its session. Transports create one per connection and feed it text frames.
 */
export class ConnectionController implements ConnectionHandler {
  private session: ServerSession | null = null;
  private state: 'handshake' | 'authorizing' | 'open' | 'closed' = 'handshake';
  // Handshake-only state (early frames, the timer, the request's headers) is dropped once the session
  // is open: an idle connection keeps only what it needs.
  private early: string[] | null = null;
  /** Bytes of the early frames, bounded by the session's byte burst (they pass the rate limit only after welcome). */
  private earlyBytes = 0;
  /** Pings answered before `hello`. */
  private probes = 0;
  /** Whether this connection counts as a handshake in progress of its address (until open or closed). */
  private inHandshakeCount: boolean;
  private handshakeTimer: ReturnType<typeof setTimeout> | undefined;
  private request: RequestInfo | null;
  private readonly remoteAddress: string;

  constructor(
    private readonly core: ServerCore,
    private readonly connection: Connection,
    request: RequestInfo,
  ) {
    this.request = request;
    this.remoteAddress = request.remoteAddress;
    this.handshakeTimer = setTimeout(() => {
      core.counters.limitHits.handshake_timeout++;
      this.fail(CloseCode.HandshakeTimeout, 'no handshake within the handshake timeout');
    }, core.options.handshakeTimeout);
    this.handshakeTimer.unref?.();
    this.inHandshakeCount = core.startHandshake(this.remoteAddress);
    // Refused after the transport has finished setting the connection up (it is being constructed now).
    if (!this.inHandshakeCount)
      queueMicrotask(() => this.fail(CloseCode.ServerFull, 'too many handshakes from this address at once; try again later'));
  }

  /** Whether a session was opened on this connection (a connection refused before has nothing to resume). */
  get opened(): boolean {
    return this.session !== null;
  }

  onText(text: string): void {
    switch (this.state) {
      case 'handshake':
        if (this.inHandshakeCount) this.handshake(text);
        return;
      case 'authorizing':
        this.earlyBytes += Buffer.byteLength(text);
        if ((this.early ??= []).push(text) > MAX_EARLY_FRAMES || this.earlyBytes > this.core.limits.byteBurst) {
          this.fail(CloseCode.BadHandshake, 'too many frames before welcome');
        }
        return;
      case 'open':
        this.route(text);
        return;
    }
  }

  onClose(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.handshakeTimer);
    this.leaveHandshakeCount();
    if (this.session) this.core.detach(this.session, this.connection);
  }

  private handshake(text: string): void {
    const maxPayload = this.core.options.maxPayload;
    if (Buffer.byteLength(text) > maxPayload) {
      // As an HTTP body over the max payload gets 413 (WebSocket lets messages up to twice it through).
      this.core.counters.limitHits.payload++;
      this.fail(CloseCode.TooLarge, `the first frame exceeds the max payload of ${maxPayload} bytes`);
      return;
    }
    const parsed = parseClientFrame(text);
    if (parsed.ok && parsed.frame.t === 'ping') {
      // A probe before the handshake: lets a client check that a new pipe carries frames both ways
      // before it moves its session onto it (the upgrade back to WebSocket).
      if (++this.probes > MAX_PROBE_PINGS) {
        this.core.counters.limitHits.handshake_pings++;
        this.fail(CloseCode.BadHandshake, `more than ${MAX_PROBE_PINGS} pings before hello`);
        return;
      }
      this.connection.send(pongFrame(parsed.frame.id));
      return;
    }
    if (!parsed.ok || parsed.frame.t !== 'hello') {
      this.fail(CloseCode.BadHandshake, parsed.ok ? 'the first frame must be "hello"' : parsed.msg);
      return;
    }
    const hello = parsed.frame;
    if (hello.v !== PROTOCOL_VERSION) {
      this.fail(CloseCode.ProtocolVersion, `protocol version ${hello.v} is not supported; this server speaks version ${PROTOCOL_VERSION}`);
      return;
    }
    this.state = 'authorizing';
    void this.authorize(hello);
  }

  private async authorize(hello: HelloFrame): Promise<void> {
    const result = await this.core.authorize({ ...this.request!, auth: hello.auth, transport: this.connection.transport });
    if (this.state !== 'authorizing') return; // closed meanwhile
    if (!result.ok) {
      this.fail(CloseCode.Unauthorized, result.reason ?? 'unauthorized');
      return;
    }
    clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
    this.request = null;
    const opened = await this.core.openSession(hello, result.user, this.connection, this.remoteAddress);
    if (this.state !== 'authorizing') {
      // The connection ended while the session was being opened (on a cluster that can take a while).
      if ('session' in opened) this.core.abandoned(opened.session, this.connection, hello);
      return;
    }
    if ('refused' in opened) {
      this.fail(opened.refused.code, opened.refused.reason);
      return;
    }
    this.session = opened.session;
    this.state = 'open';
    this.leaveHandshakeCount();
    const early = this.early;
    this.early = null;
    for (const frame of early ?? []) this.route(frame);
  }

  private route(text: string): void {
    const session = this.session!;
    const now = monotonicNow();
    session.heard(now);
    this.core.counters.framesIn++;
    const bytes = Buffer.byteLength(text);
    const parsed = parseClientFrame(text);
    if (bytes > this.core.options.maxPayload) {
      this.core.counters.limitHits.payload++;
      this.refuse(session, parsed, 'too_large', `frame exceeds the max payload of ${this.core.options.maxPayload} bytes`);
      return;
    }
    if (!session.rate.take(now, bytes)) {
      this.core.counters.limitHits.rate++;
      if (session.rate.flooding) {
        this.fail(CloseCode.RateLimited, 'too many frames or bytes: slow down');
        return;
      }
      // Sequenced frames are refused in order (their promises reject); control frames are dropped.
      if (parsed.ok && 's' in parsed.frame) this.refuse(session, parsed, 'rate_limited', 'too many frames or bytes per second');
      return;
    }
    if (!parsed.ok) {
      this.refuse(session, parsed, parsed.code, parsed.msg);
      return;
    }
    this.dispatch(session, parsed.frame, bytes);
  }

  /** `bytes`: the frame's size on the wire, counted against the session's inbox while it waits. */
  private dispatch(session: ServerSession, frame: ClientFrame, bytes: number): void {
    switch (frame.t) {
      case 'sub':
      case 'unsub':
      case 'pub':
      case 'msg':
      case 'req':
      case 'get':
      case 'join':
      case 'leave':
        session.receive({ s: frame.s, frame }, bytes);
        return;
      case 'ack':
      case 'pong':
        session.receipt(frame.n);
        return;
      case 'ping':
        session.sendControl(pongFrame(frame.id));
        return;
      case 'bye':
        this.core.bye(session.id);
        return;
      case 'hello':
        session.enqueue(errorFrame('bad_frame', '"hello" is only valid as the first frame'));
        return;
    }
  }

  /** Answers a frame that can't be handled. If it had a sequence number, it is refused in sequence order. */
  private refuse(session: ServerSession, parsed: ParseResult, code: Parameters<typeof errorFrame>[0], msg: string): void {
    const s = parsed.ok ? ('s' in parsed.frame ? parsed.frame.s : undefined) : parsed.s;
    const ch = parsed.ok ? ('ch' in parsed.frame ? parsed.frame.ch : undefined) : parsed.ch;
    if (s === undefined) session.enqueue(errorFrame(code, msg));
    else session.receive({ s, refused: ch === undefined ? { code, msg } : { code, msg, ch } });
  }

  private leaveHandshakeCount(): void {
    if (!this.inHandshakeCount) return;
    this.inHandshakeCount = false;
    this.core.handshakeEnded(this.remoteAddress);
  }

  private fail(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.core.logger.debug('connection refused', { code, reason, remoteAddress: this.remoteAddress });
    this.connection.close(code, reason);
    this.onClose();
  }
}
