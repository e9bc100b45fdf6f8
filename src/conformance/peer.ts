import { Waiters } from './waiters.js';

/**
 * A raw protocol peer of the conformance kit: it speaks Pushwire frame by frame over one transport,
 * records every server frame with its exact text, and never repairs anything — so a check sees the
 * server exactly as a third-party client would. (It does not use the Pushwire client.)
 */

export type TransportName = 'websocket' | 'sse' | 'long-polling';

export type Frame = { t: string } & Record<string, unknown>;

export interface Received {
  frame: Frame;
  /** The frame's text as it came off the wire (for byte-for-byte comparisons). */
  text: string;
  /** ms since the peer opened. */
  at: number;
}

export interface CloseInfo {
  /** The native WebSocket close code, or the code of the HTTP transports' `close` frame; 1006 for an end without either. */
  code: number;
  reason: string;
}

/** Server frame types counted in the receipt count (docs/PROTOCOL.md, RF1). */
export const RELIABLE_TYPES: ReadonlySet<string> = new Set(['m', 'subd', 'err', 'msg', 'snap', 'res']);

export abstract class Peer {
  abstract readonly transport: TransportName;
  readonly received: Received[] = [];
  closed: CloseInfo | null = null;
  /** HTTP status of the opening request or upgrade (101: upgraded), once answered; 0 before. */
  openStatus = 0;
  /** Problems with the server's output seen while reading (a frame that is not a JSON object…). */
  readonly violations: string[] = [];
  protected readonly startedAt = Date.now();
  private readonly waiters = new Waiters();

  constructor(protected readonly timeoutMs: number) {}

  /** Sends text as one WebSocket message or one upstream POST body. Resolves with the HTTP status (0 on WebSocket). */
  abstract sendText(text: string): Promise<number>;
  /** Drops the connection abruptly, as a network cut would (no bye, no close). */
  abstract cut(): void;
  /** Resolves once the opening request or upgrade was answered (see openStatus). */
  abstract opened(): Promise<void>;

  /** Sends frames in one message/body, `\n`-separated, as compact JSON. */
  send(...frames: object[]): Promise<number> {
    return this.sendText(frames.map((frame) => JSON.stringify(frame)).join('\n'));
  }

  frames(type?: string): Frame[] {
    return this.received.filter((r) => type === undefined || r.frame.t === type).map((r) => r.frame);
  }

  /** The reliable frames received so far, in order: the receipt count is their number. */
  reliable(): Received[] {
    return this.received.filter((r) => RELIABLE_TYPES.has(r.frame.t));
  }

  welcome(): Frame | undefined {
    return this.frames('welcome')[0];
  }

  /** Waits until a received frame matches, and returns the first one that does. */
  async waitFor(match: (frame: Frame) => boolean, what: string, timeoutMs = this.timeoutMs): Promise<Frame> {
    await this.until(() => this.received.some((r) => match(r.frame)), what, timeoutMs);
    return this.received.find((r) => match(r.frame))!.frame;
  }

  /** Waits for the connection to close (either way), and returns how. */
  async waitClosed(what: string, timeoutMs = this.timeoutMs): Promise<CloseInfo> {
    await this.until(() => this.closed !== null, what, timeoutMs);
    return this.closed!;
  }

  /** Waits until `condition` holds, re-checked whenever something arrives. */
  async until(condition: () => boolean, what: string, timeoutMs = this.timeoutMs): Promise<void> {
    await this.waiters.until(condition, what, timeoutMs, () => ` (${this.transport}); received ${this.describe()}`);
  }

  /** A short account of what arrived, for failure messages. */
  describe(): string {
    const texts = this.received.map((r) => (r.text.length > 120 ? `${r.text.slice(0, 117)}...` : r.text));
    const shown = texts.length > 12 ? [...texts.slice(0, 4), `… ${texts.length - 8} more …`, ...texts.slice(-4)] : texts;
    const closed = this.closed ? `; closed ${this.closed.code} ${this.closed.reason}` : '';
    return `[${shown.join(', ')}]${closed}`;
  }

  /** Records one server frame (text as received). */
  protected receive(text: string): void {
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      this.violations.push(`not JSON: ${text.slice(0, 80)}`);
      return;
    }
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame) || typeof (frame as Frame).t !== 'string') {
      this.violations.push(`not a frame object with a string "t": ${text.slice(0, 80)}`);
      return;
    }
    this.received.push({ frame: frame as Frame, text, at: Date.now() - this.startedAt });
    if ((frame as Frame).t === 'close' && this.transport !== 'websocket' && !this.closed) {
      const close = frame as Frame;
      this.closed = { code: Number(close.code), reason: String(close.reason ?? '') };
    }
    this.notify();
  }

  protected setClosed(info: CloseInfo): void {
    if (!this.closed) this.closed = info;
    this.notify();
  }

  protected notify(): void {
    this.waiters.notify();
  }
}
