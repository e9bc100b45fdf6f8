import { HttpHeader, HttpPath } from '../../protocol/http.js';

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
  private queue: { text: string; bytes: number }[] = [];
  private queuedBytes = 0;
  private token = '';
  private maxBody = DEFAULT_MAX_BODY;
  private inFlight = false;
  private stopped = false;
  /** Closing: no new frames, what is queued still goes (a `bye` right before close must arrive). */
  private finishing = false;
  private readonly abort = new AbortController();
  private done: () => void = () => {};

  constructor(
    private readonly url: string,
    private readonly fail: (reason: string) => void,
  ) {}

  /** The connection is open: its token and the server's body limit are known. */
  ready(token: string, maxBody: number): void {
    this.token = token;
    if (Number.isSafeInteger(maxBody) && maxBody > 0) this.maxBody = maxBody;
    void this.pump();
  }

  push(text: string): void {
    if (this.stopped || this.finishing) return;
    const bytes = encoder.encode(text).length;
    if (this.queuedBytes + bytes > MAX_QUEUED_BYTES) {
      this.stop();
      this.fail(`upstream queue over ${MAX_QUEUED_BYTES} bytes: the server is not taking frames`);
      return;
    }
    this.queue.push({ text, bytes });
    this.queuedBytes += bytes;
    void this.pump();
  }

  /** Drops everything and aborts the POST in flight. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.queue = [];
    this.queuedBytes = 0;
    this.abort.abort();
    this.done();
  }

  /**
   * The pipe closes: sends what is queued (if the connection ever opened), then stops and calls `done`;
   * failures go unreported.
   */
  finish(done: () => void = () => {}): void {
    this.finishing = true;
    this.done = done;
    if (this.token === '' || (this.queue.length === 0 && !this.inFlight)) this.stop();
    else void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.inFlight || this.stopped || this.token === '') return;
    if (this.queue.length === 0) {
      if (this.finishing) this.stop();
      return;
    }
    // One frame always goes (the session layer never makes one over the max payload), then as many
    // more as fit, counting the newline before each.
    let count = 1;
    let bytes = this.queue[0]!.bytes;
    while (count < this.queue.length && bytes + 1 + this.queue[count]!.bytes <= this.maxBody) bytes += 1 + this.queue[count++]!.bytes;
    const batch = this.queue.splice(0, count);
    this.queuedBytes -= bytes - (count - 1);
    this.inFlight = true;
    const timer = setTimeout(() => {
      if (this.stopped || this.finishing) return;
      this.stop();
      this.fail(`POST ${HttpPath.send} not answered within ${UPSTREAM_TIMEOUT} ms`);
    }, UPSTREAM_TIMEOUT);
    try {
      const res = await fetch(`${this.url}${HttpPath.send}`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain;charset=UTF-8', [HttpHeader.connection]: this.token },
        body: batch.map((frame) => frame.text).join('\n'),
        cache: 'no-store',
        // The last POST of a closing pipe may outlive the page (a `bye` sent on unload); browsers
        // allow that only for small bodies.
        keepalive: this.finishing && bytes <= KEEPALIVE_MAX_BODY,
        signal: this.abort.signal,
      });
      if (!res.ok) {
        const text = await res.text().catch(() => '');
        if (!this.stopped && !this.finishing) this.fail(`POST ${HttpPath.send} answered ${res.status}: ${text.slice(0, 200)}`);
        return;
      }
    } catch (error) {
      if (!this.stopped && !this.finishing) this.fail(`POST ${HttpPath.send} failed: ${(error as Error).message}`);
      return;
    } finally {
      clearTimeout(timer);
      this.inFlight = false;
    }
    void this.pump();
  }
}
