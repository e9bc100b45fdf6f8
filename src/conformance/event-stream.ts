import type { ClientRequest, IncomingHttpHeaders } from 'node:http';
import { startRequest } from './http-request.js';
import { takeBlocks } from './sse-blocks.js';
import { Waiters } from './waiters.js';

/** One Server-Sent Event as a standard EventSource would parse it. */
export interface SseEvent {
  event: string;
  id: string | undefined;
  data: string;
  /** Other fields, e.g. `retry`. */
  fields: Record<string, string>;
}

/** A raw reader of `GET {path}/events?…` (the channel event stream, EV rules). */
export class EventStreamReader {
  status = 0;
  headers: IncomingHttpHeaders = {};
  body = '';
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  ended = false;
  /** The last `retry:` field of the stream. */
  retry: string | undefined;
  private readonly request: ClientRequest;
  private readonly waiters = new Waiters();

  constructor(url: string, headers: Record<string, string> = {}, method = 'GET') {
    this.request = startRequest(url, { method, headers }, (res) => {
      this.status = res.statusCode ?? 0;
      this.headers = res.headers;
      this.notify();
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        this.body += chunk;
        buffer = takeBlocks(buffer + chunk, (block) => this.block(block));
        this.notify();
      });
      res.on('end', () => this.finish());
      res.on('error', () => this.finish());
    });
    this.request.on('error', () => this.finish());
  }

  /** Resolves once the response has begun (or the request failed). */
  opened(timeoutMs = 10_000): Promise<void> {
    return this.until(() => this.status !== 0 || this.ended, 'the response', timeoutMs);
  }

  close(): void {
    this.request.destroy();
  }

  async until(condition: () => boolean, what: string, timeoutMs: number): Promise<void> {
    await this.waiters.until(condition, what, timeoutMs, () => ` (events); got ${JSON.stringify(this.body.slice(0, 400))}`);
  }

  private block(block: string): void {
    const event: SseEvent = { event: 'message', id: undefined, data: '', fields: {} };
    const data: string[] = [];
    let any = false;
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        this.comments.push(line.slice(1).trim());
        continue;
      }
      const colon = line.indexOf(':');
      const name = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      any = true;
      if (name === 'data') data.push(value);
      else if (name === 'event') event.event = value;
      else if (name === 'id') event.id = value;
      else if (name === 'retry') this.retry = value;
      else event.fields[name] = value;
    }
    // As in an EventSource: a block without data dispatches no event.
    if (!any || data.length === 0) return;
    event.data = data.join('\n');
    this.events.push(event);
  }

  private finish(): void {
    this.ended = true;
    this.notify();
  }

  private notify(): void {
    this.waiters.notify();
  }
}
