import { CloseCode } from '../../protocol/codes.js';
import { HttpHeader } from '../../protocol/http.js';
import { ConnectionController } from '../connection-controller.js';
import type { ServerCore } from '../core.js';
import { closeFrame } from '../frames.js';
import type { RequestInfo } from '../options.js';
import type { OutFrame } from '../out-frame.js';
import { frameCost, type SessionMemory } from '../memory-budget.js';
import type { HttpConnection, HttpConnectionLimits } from './http-connections.js';
import type { PollResponder } from './poll-responder.js';

interface Batch {
  n: number;
  body: string;
  /** Bytes of `body`. */
  bytes: number;
}

/**
 * A long-polling connection. Server frames wait in a bounded queue; a poll takes everything queued as
 * one numbered batch (newline-separated frames), or waits up to the poll timeout for something to come.
 *
 * Batches are numbered so a lost poll response costs nothing: each poll says the last batch number
 * the client received, and the server keeps the last batch until a poll confirms it, sending it again
 * to a poll that does not.
 */
export class LongPollConnection implements HttpConnection {
  readonly transport = 'long-polling' as const;
  readonly controller: ConnectionController;
  private queue: OutFrame[] = [];
  private queuedBytes = 0;
  private batchNumber = 0;
  private last: Batch | null = null;
  private waiting: { reply: PollResponder; timer: ReturnType<typeof setTimeout> } | null = null;
  private flushScheduled = false;
  private closed = false;
  private gone = false;
  private linger: ReturnType<typeof setTimeout> | undefined;
  /**
   * The memory this connection holds beyond its session's frames (the reliable frames it queues are
   * the session's own): control frames queued, and the last batch's body until a poll confirms it.
   * Charged to the session's memory account.
   */
  private memory: SessionMemory | null = null;
  private controlBytes = 0;
  private charged = 0;

  constructor(
    readonly token: string,
    private readonly core: ServerCore,
    request: RequestInfo,
    private readonly pollTimeout: number,
    private readonly limits: HttpConnectionLimits,
    private readonly onEnd: (connection: LongPollConnection) => void,
  ) {
    this.controller = new ConnectionController(core, this, request);
  }

  get pendingBytes(): number {
    return this.queuedBytes;
  }

  account(memory: SessionMemory): void {
    this.memory?.queued(-this.charged);
    this.charged = 0;
    this.memory = memory;
    this.recharge();
  }

  receive(text: string): void {
    if (!this.closed) this.controller.onText(text);
  }

  /** A poll needs no keepalive: it is answered within the poll timeout. */
  keepalive(): void {}

  shutdown(): void {
    this.end();
  }

  send(frame: OutFrame): void {
    if (this.closed) return;
    if (this.queue.length >= this.limits.maxFrames || this.queuedBytes + frame.bytes > this.limits.maxBytes) {
      // The client stopped polling (or polls too slowly). Its session keeps the reliable frames; it
      // resumes on a new connection and gets them replayed.
      this.queue = [];
      this.queuedBytes = 0;
      this.controlBytes = 0;
      this.close(CloseCode.SlowConsumer, 'poll queue full: the client is not polling');
      return;
    }
    this.enqueue(frame);
    this.scheduleFlush();
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    // The close frame goes out with the next poll; the connection lingers one poll timeout for it.
    this.enqueue(closeFrame(code, reason));
    this.flush();
    this.controller.onClose();
    if (this.endIfRefused()) return;
    this.linger = setTimeout(() => this.end(), this.pollTimeout);
    this.linger.unref?.();
  }

  /**
   * A connection closed before it had a session (refused at the handshake) ends as soon as a poll has
   * taken its close frame: it is not kept for a repeated poll, so a flood of refused connections holds
   * nothing. (A client whose answer got lost polls again, gets 404 and simply connects anew.)
   */
  private endIfRefused(): boolean {
    if (!this.closed || this.controller.opened || this.queue.length > 0) return false;
    this.end();
    return true;
  }

  /** A poll that received batches up to `received`. A poll already waiting ends (empty) first. */
  poll(reply: PollResponder, received: number): void {
    if (this.waiting) this.answerEmpty();
    if (this.last && received < this.last.n) {
      this.respond(reply, this.last);
      return;
    }
    this.last = null;
    this.recharge();
    if (this.queue.length > 0) {
      this.respond(reply, this.nextBatch());
      this.endIfRefused();
      return;
    }
    if (this.closed) {
      reply.respond(404, { 'content-type': 'text/plain', 'cache-control': 'no-store' }, 'connection closed');
      this.end();
      return;
    }
    const timer = setTimeout(() => this.answerEmpty(), this.pollTimeout);
    this.waiting = { reply, timer };
    reply.onGone(() => {
      if (this.waiting?.reply !== reply) return;
      clearTimeout(timer);
      this.waiting = null;
    });
  }

  /** Ends the connection without a word (server shutdown of connections that never handshook). */
  end(): void {
    if (this.gone) return;
    this.gone = true;
    this.closed = true;
    clearTimeout(this.linger);
    if (this.waiting) this.answerEmpty();
    this.queue = [];
    this.controlBytes = 0;
    this.last = null;
    this.recharge();
    this.onEnd(this);
    this.controller.onClose();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || !this.waiting) return;
    this.flushScheduled = true;
    // One turn of the event loop gathers everything sent meanwhile into the same batch.
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (!this.waiting || this.queue.length === 0) return;
    const { reply, timer } = this.waiting;
    this.waiting = null;
    clearTimeout(timer);
    this.respond(reply, this.nextBatch());
  }

  private answerEmpty(): void {
    const waiting = this.waiting!;
    this.waiting = null;
    clearTimeout(waiting.timer);
    waiting.reply.respond(204, this.headers());
  }

  private enqueue(frame: OutFrame): void {
    this.queue.push(frame);
    this.queuedBytes += frame.bytes;
    if (!frame.reliable) {
      this.controlBytes += frameCost(frame);
      this.recharge();
    }
  }

  private nextBatch(): Batch {
    // Each frame's bytes, plus a newline between two.
    const bytes = this.queuedBytes + this.queue.length - 1;
    const batch = { n: ++this.batchNumber, body: this.queue.map((frame) => frame.text).join('\n'), bytes };
    this.queue = [];
    this.queuedBytes = 0;
    this.controlBytes = 0;
    this.last = batch;
    this.recharge();
    return batch;
  }

  private recharge(): void {
    const bytes = this.controlBytes + (this.last?.bytes ?? 0);
    this.memory?.queued(bytes - this.charged);
    if (this.memory) this.charged = bytes;
  }

  private respond(reply: PollResponder, batch: Batch): void {
    reply.respond(
      200,
      { ...this.headers(), 'content-type': 'application/x-ndjson; charset=utf-8', [HttpHeader.batch]: String(batch.n) },
      batch.body,
    );
  }

  private headers(): Record<string, string> {
    return { 'cache-control': 'no-store', [HttpHeader.connection]: this.token, [HttpHeader.maxBody]: String(this.core.options.maxPayload) };
  }
}
