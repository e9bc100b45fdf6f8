import type { ClientRequest, IncomingHttpHeaders } from 'node:http';
import { fetchText, startRequest } from './http-request.js';
import { Peer } from './peer.js';
import { takeBlocks } from './sse-blocks.js';

/** What the HTTP transports share: the connection token, upstream POSTs to `{path}/send`. */
export abstract class HttpPeer extends Peer {
  token = '';
  /** Headers of the response that opened the connection. */
  openHeaders: IncomingHttpHeaders = {};
  /** Statuses of the upstream POSTs, in order. */
  readonly postStatuses: number[] = [];
  protected abstract readonly ready: Promise<void>;

  constructor(
    protected readonly baseUrl: string,
    timeoutMs: number,
  ) {
    super(timeoutMs);
  }

  /** Resolves once the opening request was answered (the token is known, or the open was refused). */
  async opened(): Promise<void> {
    await this.ready;
  }

  async sendText(text: string): Promise<number> {
    await this.ready;
    const answer = await fetchText(
      `${this.baseUrl}/send`,
      {
        method: 'POST',
        headers: { 'pushwire-connection': this.token, 'content-type': 'text/plain;charset=UTF-8' },
        body: text,
      },
      this.timeoutMs,
    );
    this.postStatuses.push(answer.status);
    return answer.status;
  }
}

/** A raw SSE peer: `POST {path}/sse` with the hello, events read off the stream by hand. */
export class SsePeer extends HttpPeer {
  readonly transport = 'sse' as const;
  /** Comment lines of the stream (without the leading ':'), in order. */
  readonly comments: string[] = [];
  /** Every event's raw lines, to check the framing (one `data:` line, no `id:`/`event:`). */
  readonly rawEvents: string[][] = [];
  protected readonly ready: Promise<void>;
  private request: ClientRequest | null = null;

  constructor(baseUrl: string, timeoutMs: number, body: string, headers: Record<string, string> = {}) {
    super(baseUrl, timeoutMs);
    this.ready = new Promise((resolve) => {
      this.request = startRequest(
        `${baseUrl}/sse`,
        { method: 'POST', headers: { 'content-type': 'text/plain;charset=UTF-8', ...headers }, body },
        (res) => {
          this.openStatus = res.statusCode ?? 0;
          this.openHeaders = res.headers;
          this.token = String(res.headers['pushwire-connection'] ?? '');
          resolve();
          if (this.openStatus !== 200) {
            res.resume();
            res.on('end', () => this.setClosed({ code: 1006, reason: `HTTP ${this.openStatus}` }));
            return;
          }
          let buffer = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buffer = takeBlocks(buffer + chunk, (block) => this.event(block));
          });
          res.on('end', () => this.setClosed({ code: 1006, reason: 'stream ended without a close frame' }));
          res.on('error', () => this.setClosed({ code: 1006, reason: 'stream failed' }));
        },
      );
      this.request.on('error', (error) => {
        resolve();
        this.setClosed({ code: 1006, reason: error.message });
      });
    });
  }

  cut(): void {
    this.request?.destroy();
  }

  private event(block: string): void {
    const lines = block.split('\n');
    const data: string[] = [];
    for (const line of lines) {
      if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (lines.some((line) => !line.startsWith(':'))) this.rawEvents.push(lines);
    this.notify();
    if (data.length > 0) this.receive(data.join('\n'));
  }
}

/** One answer to a poll, as the kit saw it. */
export interface PollAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A raw long-polling peer: `POST {path}/poll` with the hello, then `GET {path}/poll` in a loop. */
export class LongPollPeer extends HttpPeer {
  readonly transport = 'long-polling' as const;
  /** Every poll answer, in order (the opening POST's first). */
  readonly answers: PollAnswer[] = [];
  /** The last batch number received. */
  lastBatch = 0;
  protected readonly ready: Promise<void>;
  private stopped = false;
  private current: ClientRequest | null = null;

  /** `autoPoll` false: the kit polls by hand with `poll()`. */
  constructor(
    baseUrl: string,
    timeoutMs: number,
    body: string,
    headers: Record<string, string> = {},
    private readonly autoPoll = true,
  ) {
    super(baseUrl, timeoutMs);
    this.ready = this.request({ method: 'POST', headers: { 'content-type': 'text/plain;charset=UTF-8', ...headers }, body }).then(
      (answer) => {
        this.openStatus = answer.status;
        this.openHeaders = answer.headers;
        this.token = String(answer.headers['pushwire-connection'] ?? '');
        this.take(answer);
        if (answer.status !== 200) this.setClosed({ code: 1006, reason: `HTTP ${answer.status}` });
        else if (this.autoPoll) void this.loop();
      },
      (error: unknown) => this.setClosed({ code: 1006, reason: `the opening POST failed: ${String(error)}` }),
    );
  }

  /** One poll saying `received` (default: the last batch seen); records and applies its answer. */
  async poll(received: number | string = this.lastBatch): Promise<PollAnswer> {
    const answer = await this.request({
      method: 'GET',
      headers: { 'pushwire-connection': this.token, 'pushwire-received': String(received) },
    });
    this.take(answer);
    return answer;
  }

  cut(): void {
    this.stopped = true;
    this.current?.destroy();
  }

  private async loop(): Promise<void> {
    while (!this.stopped && !this.closed) {
      try {
        const answer = await this.poll();
        if (answer.status === 404) this.setClosed({ code: 1006, reason: 'poll answered 404' });
        else if (answer.status !== 200 && answer.status !== 204) this.setClosed({ code: 1006, reason: `poll answered ${answer.status}` });
      } catch (error) {
        if (!this.stopped) this.setClosed({ code: 1006, reason: `poll failed: ${String(error)}` });
        return;
      }
    }
  }

  private take(answer: PollAnswer): void {
    this.answers.push(answer);
    if (answer.status !== 200) return this.notify();
    const batch = Number(answer.headers['pushwire-batch']);
    if (batch <= this.lastBatch) return this.notify(); // a batch seen already (LP7)
    this.lastBatch = batch;
    for (const line of answer.body.split('\n')) if (line !== '') this.receive(line);
    this.notify();
  }

  private request(call: { method: string; headers: Record<string, string>; body?: string }): Promise<PollAnswer> {
    const url = `${this.baseUrl}/poll`;
    return new Promise((resolve, reject) => {
      const req = startRequest(url, call, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      this.current = req;
      req.on('error', reject);
    });
  }
}
