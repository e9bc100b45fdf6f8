import type { Control, ServerConfig } from './control.js';
import { LongPollPeer, SsePeer } from './http-peers.js';
import type { Frame, Peer, TransportName } from './peer.js';
import { WebSocketPeer } from './websocket-peer.js';

/** A check that cannot run against this server (a limit too large to reach quickly, no test mode…). */
export class Skip extends Error {}

/** Which transports a check runs on. */
export type CheckScope = 'each' | 'websocket' | 'http' | 'sse' | 'long-polling' | 'once';

export interface ServerCheck {
  /** The rule id of docs/PROTOCOL.md this check proves (several checks may share one). */
  id: string;
  /** What is checked, as a short sentence. */
  title: string;
  scope: CheckScope;
  /** Needs the server's test mode (TM1). */
  control?: boolean;
  run(t: CheckRun): Promise<void>;
}

/** What every check of one run shares. */
export interface KitContext {
  /** Base URL of the endpoints, e.g. http://127.0.0.1:3000/pushwire */
  url: string;
  timeoutMs: number;
  control: Control | null;
  config: ServerConfig | null;
  /** Transports the server offers (its welcome's `tr`). */
  offered: TransportName[];
}

export interface OpenOptions {
  /** Extra request headers (e.g. Origin) of the upgrade or the opening request. */
  headers?: Record<string, string>;
  /** Long-polling: poll by hand instead of in a loop. */
  manualPolls?: boolean;
}

let unique = 0;

/** Test mode's channel kinds (TM2): publishable by clients, plain, or refused to them. */
export type ChannelKind = 'pub' | 'plain' | 'forbidden';

export interface SubscribedSession {
  peer: Peer;
  ch: string;
  /** The answer to its `sub` (s 1). */
  subd: Frame;
}

/** One check on one transport: opens peers (cut when the check ends), names channels. */
export class CheckRun {
  private readonly peers: Peer[] = [];
  private readonly cleanups: (() => void)[] = [];

  constructor(
    readonly kit: KitContext,
    readonly transport: TransportName,
  ) {}

  get control(): Control {
    if (!this.kit.control) throw new Skip("needs the server's test mode (docs/PROTOCOL.md, section 15)");
    return this.kit.control;
  }

  get config(): ServerConfig {
    if (!this.kit.config) throw new Skip("needs the server's test mode (docs/PROTOCOL.md, section 15)");
    return this.kit.config;
  }

  /** A channel name no other check uses; `kind` 'pub' makes it publishable in test mode (TM2). */
  channel(kind: ChannelKind = 'plain'): string {
    unique++;
    const prefix = kind === 'pub' ? 'test:pub:' : kind === 'forbidden' ? 'test:forbidden:' : 'conformance:';
    return `${prefix}${Date.now().toString(36)}-${unique}`;
  }

  /** Opens a connection on this check's transport, its first message/body being `first` (not awaited). */
  open(first: string | object = { t: 'hello', v: 1 }, options: OpenOptions = {}, transport: TransportName = this.transport): Peer {
    const text = typeof first === 'string' ? first : JSON.stringify(first);
    let peer: Peer;
    if (transport === 'websocket') {
      const ws = new WebSocketPeer(this.kit.url, this.kit.timeoutMs, options.headers);
      void ws.sendText(text);
      peer = ws;
    } else if (transport === 'sse') {
      peer = new SsePeer(this.kit.url, this.kit.timeoutMs, text, options.headers);
    } else {
      peer = new LongPollPeer(this.kit.url, this.kit.timeoutMs, text, options.headers, !options.manualPolls);
    }
    this.peers.push(peer);
    return peer;
  }

  /** Opens a connection and waits for its welcome. */
  async handshake(hello: object = { t: 'hello', v: 1 }, transport: TransportName = this.transport): Promise<Peer> {
    const peer = this.open(hello, {}, transport);
    await peer.waitFor((f) => f.t === 'welcome', 'welcome');
    return peer;
  }

  /** Resumes `from`'s session on a new connection, claiming `rx` reliable frames received (default: all it got). */
  async resume(from: Peer, rx = receiptCount(from), transport: TransportName = this.transport): Promise<Peer> {
    const welcome = from.welcome()!;
    return this.handshake({ t: 'hello', v: 1, sid: welcome.sid, secret: welcome.secret, rx }, transport);
  }

  /** Subscribes and waits for the `subd` answering it; returns it. */
  async subscribe(peer: Peer, s: number, ch: string, extra: Record<string, unknown> = {}): Promise<Frame> {
    await peer.send({ t: 'sub', s, ch, ...extra });
    return peer.waitFor((f) => (f.t === 'subd' || f.t === 'err') && f.s === s, `the answer to sub ${s}`);
  }

  /**
   * The preamble most checks share: a fresh channel, a session on this transport subscribed to it (its
   * `sub` is s 1), and — with `messages` — that many copies of `data` published through test mode and
   * received (the session's receipt count is then 1 + messages).
   */
  async subscribedSession(options: { kind?: ChannelKind; messages?: number; data?: unknown } = {}): Promise<SubscribedSession> {
    const ch = this.channel(options.kind);
    const peer = await this.handshake();
    const subd = await this.subscribe(peer, 1, ch);
    const messages = options.messages ?? 0;
    if (messages > 0) {
      await this.control.publish(ch, options.data ?? 'x', messages);
      await peer.until(() => receiptCount(peer) === 1 + messages, `the subd and ${messages} messages`);
    }
    return { peer, ch, subd };
  }

  /** A fresh channel that already has `count` messages of `data` in its history, and a session not subscribed to it yet. */
  async sessionAndHistory(count: number, data: unknown = 'x'): Promise<{ peer: Peer; ch: string; epoch: string; seq: number }> {
    const ch = this.channel();
    const { epoch, seq } = await this.control.publish(ch, data, count);
    const peer = await this.handshake();
    return { peer, ch, epoch, seq };
  }

  /** Waits for an `ack` covering `s`. */
  acked(peer: Peer, s: number): Promise<Frame> {
    return peer.waitFor((f) => f.t === 'ack' && typeof f.s === 'number' && f.s >= s, `an ack covering ${s}`);
  }

  /** Runs `cleanup` when the check ends. */
  onEnd(cleanup: () => void): void {
    this.cleanups.push(cleanup);
  }

  /**
   * Ends every peer of this check: sessions get a `bye` (freeing the server), connections are cut.
   * Returns the close codes the server sent them (1006, an end without a code, is none).
   */
  async end(): Promise<number[]> {
    for (const cleanup of this.cleanups) cleanup();
    const codes = this.peers.map((peer) => peer.closed?.code ?? 1006).filter((code) => code !== 1006);
    await Promise.all(
      this.peers.map(async (peer) => {
        if (peer.welcome() && !peer.closed) await peer.send({ t: 'bye' }).catch(() => {});
        peer.cut();
      }),
    );
    return codes;
  }
}

/** The receipt count of a peer's session: the welcome's `rx` plus the reliable frames received since (CL1). */
export function receiptCount(peer: Peer): number {
  return Number(peer.welcome()?.rx ?? 0) + peer.reliable().length;
}

/** A failed expectation. */
export function expect(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

export function expectEqual(actual: unknown, expected: unknown, what: string): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected))
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Index of the first received frame matching, or -1. */
export function indexOf(peer: Peer, match: (frame: Frame) => boolean): number {
  return peer.received.findIndex((r) => match(r.frame));
}
