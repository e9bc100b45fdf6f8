import type { ServerResponse } from 'node:http';
import type { ScriptPipe } from './script-connection.js';

/**
 * The downstream of the scripted server's HTTP connections: a long-polling batch queue and an SSE
 * stream. Both are driven by the script (nothing is sent unless a check sends it) and can misbehave on
 * demand (a repeated batch, a poll cut on the network).
 */

/** Headers every answer of an HTTP connection carries (PROTOCOL.md HT2). */
function connectionHeaders(token: string, maxBody: number): Record<string, string> {
  return { 'pushwire-connection': token, 'pushwire-max-body': String(maxBody) };
}

export class PollPipe implements ScriptPipe {
  /** How long a poll waits for frames before it is answered 204, ms (Infinity: it hangs). */
  pollWait = 500;
  /** The next poll is answered with the last batch again, same number and body (a repeat LP7 must ignore). */
  repeatBatch = false;
  /** This many next polls are cut on the network, unanswered. */
  cutPolls = 0;
  gone = false;
  private queue: string[] = [];
  private batch = 0;
  private lastBody = '';
  private waiting: { res: ServerResponse; timer: ReturnType<typeof setTimeout> | undefined } | null = null;
  private closing = false;

  constructor(
    readonly token: string,
    private readonly maxBody: number,
  ) {}

  send(text: string): void {
    if (this.gone) return;
    this.queue.push(text);
    this.flush();
  }

  close(code: number, reason: string, retry?: number): void {
    this.send(JSON.stringify({ t: 'close', code, reason, retry }));
    this.closing = true;
  }

  cut(): void {
    this.gone = true;
    if (this.waiting) this.waiting.res.destroy();
    this.waiting = null;
  }

  poll(res: ServerResponse): void {
    if (this.gone) {
      res.writeHead(404).end('unknown_connection');
      return;
    }
    if (this.cutPolls > 0) {
      this.cutPolls--;
      res.destroy();
      return;
    }
    if (this.waiting) this.answer(this.waiting.res, 204);
    if (this.repeatBatch && this.batch > 0) {
      this.repeatBatch = false;
      this.answer(res, 200, this.lastBody, this.batch);
      return;
    }
    const timer = Number.isFinite(this.pollWait)
      ? setTimeout(() => {
          if (this.waiting?.res === res) this.answer(res, 204);
        }, this.pollWait)
      : undefined;
    this.waiting = { res, timer };
    res.on('close', () => {
      if (this.waiting?.res === res) this.waiting = null;
    });
    this.flush();
  }

  private flush(): void {
    if (!this.waiting || this.queue.length === 0) return;
    const { res } = this.waiting;
    this.lastBody = this.queue.join('\n');
    this.queue = [];
    this.answer(res, 200, this.lastBody, ++this.batch);
    if (this.closing) this.gone = true;
  }

  private answer(res: ServerResponse, status: number, body?: string, batch?: number): void {
    if (this.waiting?.res === res) {
      clearTimeout(this.waiting.timer);
      this.waiting = null;
    }
    const headers: Record<string, string> = { 'cache-control': 'no-store', ...connectionHeaders(this.token, this.maxBody) };
    if (status === 200) {
      headers['content-type'] = 'application/x-ndjson; charset=utf-8';
      headers['pushwire-batch'] = String(batch);
    }
    res.writeHead(status, headers).end(body);
  }
}

export class SsePipe implements ScriptPipe {
  gone = false;

  constructor(
    readonly token: string,
    private readonly res: ServerResponse,
    maxBody: number,
  ) {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'close',
      ...connectionHeaders(token, maxBody),
    });
    res.write(': pushwire\n\n');
    res.on('close', () => {
      this.gone = true;
    });
  }

  send(text: string): void {
    if (!this.gone) this.res.write(`data: ${text}\n\n`);
  }

  close(code: number, reason: string, retry?: number): void {
    this.send(JSON.stringify({ t: 'close', code, reason, retry }));
    this.gone = true;
    this.res.end();
  }

  cut(): void {
    this.gone = true;
    this.res.destroy();
  }
}
