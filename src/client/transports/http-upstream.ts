import { CONNECTION_HEADER, SEND_PATH } from '../../protocol/http.js';
import { httpRequest } from './http-request.js';

/** Most bytes of frames waiting to be POSTed; past it the pipe fails (the session resends after resuming). */
const MAX_QUEUED_BYTES = 4 << 20;
const DEFAULT_MAX_BODY = 65_536;
/** Browsers refuse `keepalive` fetches whose bodies (all in flight together) pass 64 KiB. */
const KEEPALIVE_MAX_BODY = 60_000;
/**
 * Longest a POST may take. The server answers as soon as it has read the frames, so a POST that hangs
 * is on a dead (half-open) connection; the stream down may be fine and keep the heartbeat deadline
 * fresh, so without this bound nothing would notice: the frames and receipts in it would never arrive
 * (the chaos suite's silent connections made sessions overflow this way).
 */
export const UPSTREAM_TIMEOUT = 10_000;
const encoder = /* @__PURE__ */ new TextEncoder();

/**
 * Client frames of an HTTP connection (SSE or long-polling) going up in POSTs to `{base}/send`: at
 * most one POST in flight; frames sent meanwhile wait and go together in the next one, newline-
 * separated, in order, each POST at most the server's max body. A failed POST fails the pipe: the
 * session layer resumes on a new connection and resends whatever the server has not acknowledged.
 */
export class HttpUpstream {
  private queue_: { text: string; bytes: number }[] = [];
  private queuedBytes_ = 0;
  private token_ = '';
  private maxBody_ = DEFAULT_MAX_BODY;
  private inFlight_ = false;
  private stopped_ = false;
  /** Closing: no new frames, what is queued still goes (a `bye` right before close must arrive). */
  private finishing_ = false;
  private readonly abort_ = new AbortController();
  private done_: () => void = () => {};

  constructor(
    private readonly url_: string,
    private readonly fail_: (reason: string) => void,
  ) {}

  /** The connection is open: its token and the server's body limit are known. */
  ready_(token: string, maxBody: number): void {
    this.token_ = token;
    if (Number.isSafeInteger(maxBody) && maxBody > 0) this.maxBody_ = maxBody;
    void this.pump_();
  }

  push_(text: string): void {
    if (this.stopped_ || this.finishing_) return;
    const bytes = encoder.encode(text).length;
    if (this.queuedBytes_ + bytes > MAX_QUEUED_BYTES) {
      this.stop_();
      this.fail_(`upstream queue over ${MAX_QUEUED_BYTES} bytes`);
      return;
    }
    this.queue_.push({ text, bytes });
    this.queuedBytes_ += bytes;
    void this.pump_();
  }

  /** Drops everything and aborts the POST in flight. */
  stop_(): void {
    if (this.stopped_) return;
    this.stopped_ = true;
    this.queue_ = [];
    this.queuedBytes_ = 0;
    this.abort_.abort();
    this.done_();
  }

  /**
   * The pipe closes: sends what is queued (if the connection ever opened), then stops and calls `done`;
   * failures go unreported.
   */
  finish_(done: () => void = () => {}): void {
    this.finishing_ = true;
    this.done_ = done;
    if (this.token_ === '' || (this.queue_.length === 0 && !this.inFlight_)) this.stop_();
    else void this.pump_();
  }

  private async pump_(): Promise<void> {
    if (this.inFlight_ || this.stopped_ || this.token_ === '') return;
    if (this.queue_.length === 0) {
      if (this.finishing_) this.stop_();
      return;
    }
    // One frame always goes (the session layer never makes one over the max payload), then as many
    // more as fit, counting the newline before each.
    let count = 1;
    let bytes = this.queue_[0]!.bytes;
    while (count < this.queue_.length && bytes + 1 + this.queue_[count]!.bytes <= this.maxBody_) bytes += 1 + this.queue_[count++]!.bytes;
    const batch = this.queue_.splice(0, count);
    this.queuedBytes_ -= bytes - (count - 1);
    this.inFlight_ = true;
    const timer = setTimeout(() => {
      if (this.stopped_ || this.finishing_) return;
      this.stop_();
      this.fail_(`POST ${SEND_PATH} not answered within ${UPSTREAM_TIMEOUT} ms`);
    }, UPSTREAM_TIMEOUT);
    try {
      const res = await httpRequest(this.url_, SEND_PATH, {
        method: 'POST',
        headers: { [CONNECTION_HEADER]: this.token_ },
        body: batch.map((frame) => frame.text).join('\n'),
        // The last POST of a closing pipe may outlive the page (a `bye` sent on unload); browsers
        // allow that only for small bodies.
        keepalive: this.finishing_ && bytes <= KEEPALIVE_MAX_BODY,
        signal: this.abort_.signal,
      });
      if (!res.ok) {
        const text = await res.text().catch(() => '');
        if (!this.stopped_ && !this.finishing_) this.fail_(`POST ${SEND_PATH} answered ${res.status}: ${text.slice(0, 200)}`);
        return;
      }
    } catch (error) {
      if (!this.stopped_ && !this.finishing_) this.fail_(`POST ${SEND_PATH} failed: ${(error as Error).message}`);
      return;
    } finally {
      clearTimeout(timer);
      this.inFlight_ = false;
    }
    void this.pump_();
  }
}
