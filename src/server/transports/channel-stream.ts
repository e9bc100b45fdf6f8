import type { IncomingMessage, ServerResponse } from 'node:http';
import { isValidChannelName } from '../../protocol/channel.js';
import type { Position } from '../../protocol/frames.js';
import { HttpPath } from '../../protocol/http.js';
import { presenceTarget } from '../../protocol/presence.js';
import type { SessionSubscription, Subscriber } from '../channels.js';
import type { ServerCore } from '../core.js';
import type { ServerHooks, Session } from '../options.js';
import type { OutFrame } from '../out-frame.js';
import { randomToken } from '../random.js';
import { requestInfo } from '../request-info.js';
import type { Endpoint } from './endpoint.js';
import { replyText } from './http-body.js';
import type { HttpConnectionLimits } from './http-connections.js';
import { answeredAtGate, methodAllowed } from './http-gate.js';
import { SSE_HEADERS } from './sse.js';

/**
 * The frames of a channel subscription as events a standard EventSource understands:
 * - a message: `id: <epoch>:<seq>` and `data: <payload JSON>` (default event type `message`);
 * - `event: subscribed` (id = the position the stream continues from) when it starts or resumes;
 * - `event: reset` (id = the new position) when `Last-Event-ID` could not be replayed: the consumer
 *   must reload its state, then apply the messages that follow.
 * Other frames are none of a plain consumer's business and become nothing ('').
 */
function channelEvent(text: string): string {
  const frame = JSON.parse(text) as {
    t: string;
    e?: string;
    q?: number;
    h?: number;
    st?: string;
    d?: unknown;
    code?: string;
    msg?: string;
  };
  switch (frame.t) {
    case 'm':
      return `id: ${frame.e}:${frame.q}\ndata: ${JSON.stringify(frame.d)}\n\n`;
    case 'subd': {
      const data = JSON.stringify({ status: frame.st, epoch: frame.e, seq: frame.q, head: frame.h });
      return `event: ${frame.st === 'reset' ? 'reset' : 'subscribed'}\nid: ${frame.e}:${frame.q}\ndata: ${data}\n\n`;
    }
    case 'err':
      return `event: pushwire-error\ndata: ${JSON.stringify({ code: frame.code, msg: frame.msg })}\n\n`;
    default:
      return '';
  }
}

/** `Last-Event-ID` → a position. The epoch is a url-safe token, so the last ':' separates the sequence number. */
function parseEventId(id: string): Position | null {
  const colon = id.lastIndexOf(':');
  const seq = Number(id.slice(colon + 1));
  if (colon <= 0 || colon > 128 || !Number.isSafeInteger(seq) || seq < 0) return null;
  return [id.slice(0, colon), seq];
}

/** Key of the channel event bytes cached on each OutFrame. */
const CHANNEL_EVENT = 'sse-channel';

/**
 * One channel stream: a subscriber with one subscription and no upstream, never registered for resume
 * (its event ids are channel positions, so a consumer resumes with a subscription `from` them). To the
 * hooks (`authorize`, `canSubscribe`) it is a session of the user `authorize` returned.
 */
class ChannelStream implements Session, Subscriber {
  readonly id = randomToken(16);
  readonly subscriptions = new Map<string, SessionSubscription>();
  readonly data: Record<string, unknown> = {};
  /** Whether its response has started (the hooks are asked before). */
  opened = false;
  ended = false;

  constructor(
    readonly user: unknown,
    readonly remoteAddress: string,
    private readonly res: ServerResponse,
    /** A session's outbound buffer bounds: a replay takes at most half, and no frame may be larger. */
    private readonly buffer: { maxFrames: number; maxBytes: number },
    private readonly limits: HttpConnectionLimits,
  ) {}

  get transport(): 'sse' | null {
    return this.opened ? 'sse' : null;
  }

  channels(): string[] {
    return [...this.subscriptions.keys()];
  }

  /** Only channel events go down a channel stream. */
  send(): void {}

  close(): void {
    if (!this.ended) this.res.end();
  }

  /**
   * Writes a channel frame as its event, at once: nothing is kept for a replay (a consumer resumes
   * with Last-Event-ID from history).
   */
  enqueue(frame: OutFrame): void {
    if (this.ended || !this.opened) return;
    if (frame.bytes > this.buffer.maxBytes) {
      this.res.destroy();
      return;
    }
    const event = frame.encoded(CHANNEL_EVENT, channelEvent);
    if (event) this.res.write(event);
    // Past the bound the consumer is too slow: cut it off, it comes back with Last-Event-ID.
    if (this.res.writableLength > this.limits.maxBytes) this.res.destroy();
  }

  fitsReplay(frames: number, bytes: number): boolean {
    return frames <= this.buffer.maxFrames / 2 && bytes <= this.buffer.maxBytes / 2;
  }

  keepalive(): void {
    if (!this.ended) this.res.write(': ka\n\n');
  }
}

/**
 * `GET {path}/events?channel=NAME[&rewind=N]`, with `Last-Event-ID` to resume: one channel as a plain
 * event stream for a standard EventSource. The same hooks apply as for a session: `authorize` (with
 * `auth` undefined) and `canSubscribe`. Off with the `channelStreams: false` option (404).
 */
export class ChannelStreamEndpoint implements Endpoint {
  private readonly streams = new Set<ChannelStream>();
  private readonly keepaliveTimer: ReturnType<typeof setInterval>;
  private closing = false;

  constructor(
    private readonly core: ServerCore,
    private readonly hooks: ServerHooks,
    private readonly enabled: boolean,
    private readonly limits: HttpConnectionLimits,
    sseKeepalive: number,
  ) {
    // Comment lines keep idle streams open through proxies that time out quiet responses.
    this.keepaliveTimer = setInterval(() => {
      for (const stream of this.streams) stream.keepalive();
    }, sseKeepalive);
    this.keepaliveTimer.unref?.();
  }

  handleRequest(req: IncomingMessage, res: ServerResponse, route: string): boolean {
    if (route !== HttpPath.events) return false;
    if (answeredAtGate(req, res, this.core, this.closing)) return true;
    if (!this.enabled) {
      replyText(res, 404, 'channel event streams are disabled on this server');
      return true;
    }
    if (!methodAllowed(req, res, 'GET')) return true;
    void this.open(req, res).catch((error: unknown) => {
      this.core.logger.error('channel stream failed', { error: String(error) });
      replyText(res, 500, 'internal server error');
    });
    return true;
  }

  close(): void {
    this.closing = true;
    clearInterval(this.keepaliveTimer);
    for (const stream of [...this.streams]) stream.close();
  }

  private async open(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { core, hooks } = this;
    const params = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const channel = params.get('channel');
    if (!isValidChannelName(channel))
      return replyText(res, 400, 'bad_channel: ?channel= must be a channel name of 1-200 printable ASCII characters');
    const lastId = req.headers['last-event-id'];
    let from: Position | undefined;
    if (typeof lastId === 'string' && lastId !== '') {
      const position = parseEventId(lastId);
      if (!position) return replyText(res, 400, 'bad_frame: Last-Event-ID must be "<epoch>:<seq>" as sent in an event id');
      from = position;
    }
    const rewindParam = params.get('rewind');
    const rewind = rewindParam === null ? undefined : Number(rewindParam);
    if (rewind !== undefined && (!Number.isSafeInteger(rewind) || rewind < 0))
      return replyText(res, 400, 'bad_frame: rewind must be a non-negative integer');

    const info = requestInfo(req, core.options.trustProxy);
    const auth = await core.authorize({ ...info, auth: undefined, transport: 'sse' });
    if (!auth.ok) return replyText(res, 401, `unauthorized: ${auth.reason ?? 'unauthorized'}`);
    const stream = new ChannelStream(
      auth.user,
      info.remoteAddress,
      res,
      { maxFrames: core.options.outboundMaxFrames, maxBytes: core.options.outboundMaxBytes },
      this.limits,
    );
    // A `$presence:` channel is readable by whoever may subscribe to the channel it belongs to.
    const allowed = hooks.canSubscribe ? (await hooks.canSubscribe(stream, presenceTarget(channel) ?? channel)) === true : true;
    if (!allowed) return replyText(res, 403, `forbidden: not allowed to subscribe to "${channel}"`);
    if (res.destroyed || req.destroyed) return;
    // A stream is a session for the session limits (maxSessions, maxSessionsPerAddress).
    if (!core.openStream(info.remoteAddress))
      return replyText(res, 503, 'server_full: too many sessions; try again later', { 'retry-after': '5' });

    res.writeHead(200, SSE_HEADERS);
    res.write(': pushwire channel stream\nretry: 1000\n\n');
    stream.opened = true;
    this.streams.add(stream);
    res.on('close', () => {
      core.streamEnded(info.remoteAddress);
      stream.ended = true;
      this.streams.delete(stream);
      core.channels.unsubscribeAll(stream);
    });
    try {
      await core.channels.subscribe(stream, channel, from, from ? undefined : rewind);
    } catch (error) {
      core.logger.error('channel stream subscribe failed', { channel, error: String(error) });
      if (!stream.ended) res.end(`event: pushwire-error\ndata: ${JSON.stringify({ code: 'internal', msg: 'subscription failed' })}\n\n`);
    }
  }
}
