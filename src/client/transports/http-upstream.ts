import { HttpHeader, HttpPath } from '../../protocol/http.js';

/** Most bytes of frames waiting to be POSTed; past it the pipe fails (the session resends after resuming). */
const MAX_QUEUED_BYTES = 4 << 20;
const DEFAULT_MAX_BODY = 65_536;
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

  constructor(
    private readonly url: string,
    private readonly signal: AbortSignal,
    private readonly fail: (reason: string) => void,
  ) {}

  /** The connection is open: its token and the server's body limit are known. */
  ready(token: string, maxBody: number): void {
    this.token = token;
    if (Number.isSafeInteger(maxBody) && maxBody > 0) this.maxBody = maxBody;
    void this.pump();
  }

  push(text: string): void {
    if (this.stopped) return;
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

  stop(): void {
    this.stopped = true;
    this.queue = [];
    this.queuedBytes = 0;
  }

  private async pump(): Promise<void> {
    if (this.inFlight || this.stopped || this.token === '' || this.queue.length === 0) return;
    // One frame always goes (the session layer never makes one over the max payload), then as many
    // more as fit, counting the newline before each.
    let count = 1;
    let bytes = this.queue[0]!.bytes;
    while (count < this.queue.length && bytes + 1 + this.queue[count]!.bytes <= this.maxBody) bytes += 1 + this.queue[count++]!.bytes;
    const batch = this.queue.splice(0, count);
    this.queuedBytes -= batch.reduce((sum, frame) => sum + frame.bytes, 0);
    this.inFlight = true;
    try {
      const res = await fetch(`${this.url}${HttpPath.send}`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain;charset=UTF-8', [HttpHeader.connection]: this.token },
        body: batch.map((frame) => frame.text).join('\n'),
        cache: 'no-store',
        signal: this.signal,
      });
      if (!res.ok) {
        const text = await res.text().catch(() => '');
        if (!this.stopped) this.fail(`POST ${HttpPath.send} answered ${res.status}: ${text.slice(0, 200)}`);
        return;
      }
    } catch (error) {
      if (!this.stopped) this.fail(`POST ${HttpPath.send} failed: ${(error as Error).message}`);
      return;
    } finally {
      this.inFlight = false;
    }
    void this.pump();
  }
}
