import type { IncomingHttpHeaders } from 'node:http';
import type { Frame } from '../peer.js';
import { Waiters } from '../waiters.js';

export type ScriptTransport = 'websocket' | 'sse' | 'long-polling';

/** How frames go down one connection: the transport's part of a script connection. */
export interface ScriptPipe {
  send(text: string): void;
  /** Closes with a code: natively on WebSocket, with a `close` frame on the HTTP transports. */
  close(code: number, reason: string, retry?: number): void;
  /** Drops the connection without a word. */
  cut(): void;
}

/** One `POST {path}/send` the client made on an HTTP connection. */
export interface UpstreamPost {
  headers: IncomingHttpHeaders;
  body: string;
  /** When it arrived and when the script answered it (Date.now()); `answeredAt` 0 until then. */
  arrivedAt: number;
  answeredAt: number;
}

/** One long-polling `GET {path}/poll`: its Pushwire-Received header, as sent. */
export interface PollRequest {
  received: string | undefined;
  at: number;
}

/** One client connection as the script sees it. */
export class ScriptConnection {
  /** Client frames, in order. */
  readonly frames: Frame[] = [];
  /** Raw client messages or POST bodies, for the framing rules (EN3). */
  readonly raw: string[] = [];
  /** HTTP transports: the client's upstream POSTs and (long-polling) its polls. */
  readonly posts: UpstreamPost[] = [];
  readonly polls: PollRequest[] = [];
  closed = false;
  readonly openedAt = Date.now();
  private readonly waiters = new Waiters();

  constructor(
    readonly transport: ScriptTransport,
    readonly pipe: ScriptPipe,
    private readonly timeoutMs: number,
  ) {}

  send(...frames: object[]): void {
    for (const frame of frames) this.pipe.send(JSON.stringify(frame));
  }

  /** Closes with a code (and, on the HTTP transports, a `close` frame that may carry `retry`). */
  close(code: number, reason = 'closed by the script', retry?: number): void {
    this.pipe.close(code, reason, retry);
    this.ended();
  }

  cut(): void {
    this.pipe.cut();
    this.ended();
  }

  async waitFor(match: (frame: Frame) => boolean, what: string, timeoutMs = this.timeoutMs): Promise<Frame> {
    await this.until(() => this.frames.some(match), what, timeoutMs);
    return this.frames.find(match)!;
  }

  async until(condition: () => boolean, what: string, timeoutMs = this.timeoutMs): Promise<void> {
    await this.waiters.until(
      condition,
      what,
      timeoutMs,
      () => ` (client, ${this.transport}); it sent ${JSON.stringify(this.frames).slice(0, 600)}`,
    );
  }

  /** Frames of one type the client sent. */
  sent(type: string): Frame[] {
    return this.frames.filter((frame) => frame.t === type);
  }

  receiveText(text: string): void {
    this.raw.push(text);
    for (const line of text.split('\n')) {
      if (line === '') continue;
      try {
        this.frames.push(JSON.parse(line) as Frame);
      } catch {
        this.frames.push({ t: '(not JSON)', text: line });
      }
    }
    this.notify();
  }

  ended(): void {
    this.closed = true;
    this.notify();
  }

  /** Something about the connection changed (a poll, a POST answered): wake the waits. */
  notify(): void {
    this.waiters.notify();
  }
}
