import type { IncomingMessage, ServerResponse } from 'node:http';
import { isValidChannelName } from '../../protocol/channel.js';
import type { Position } from '../../protocol/frames.js';
import { presenceTarget } from '../../protocol/presence.js';
import type { Connection } from '../connection.js';
import type { ServerCore } from '../core.js';
import { callHook, type HookFailure, toldMessage } from '../hook-errors.js';
import type { ServerHooks } from '../options.js';
import type { OutFrame } from '../out-frame.js';
import { randomToken } from '../random.js';
import { requestInfo } from '../request-info.js';
import { ServerSession } from '../session.js';
import { replyText } from './http-body.js';
import { SSE_HEADERS, type HttpConnectionLimits } from './sse.js';

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

/** The pipe of one channel stream: writes each frame as its event and acknowledges it at once. */
class ChannelStreamConnection implements Connection {
  readonly transport = 'sse' as const;
  ended = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly session: ServerSession,
    private readonly limits: HttpConnectionLimits,
  ) {}

  get pendingBytes(): number {
    return this.res.writableLength;
  }

  send(frame: OutFrame): void {
    if (this.ended || !frame.reliable) return;
    // Nothing is replayed from the session here: a consumer resumes with Last-Event-ID from history.
    this.session.out.ack(this.session.out.total);
    const event = frame.encoded('sse-channel', channelEvent);
    if (event) this.res.write(event);
    // Past the bound the consumer is too slow: cut it off, it comes back with Last-Event-ID.
    if (this.res.writableLength > this.limits.maxBytes) this.res.destroy();
  }

  keepalive(): void {
    if (!this.ended) this.res.write(': ka\n\n');
  }

  close(_code: number, _reason: string): void {
    if (!this.ended) this.res.end();
  }
}

/**
 * `GET {path}/events?channel=NAME[&rewind=N]`, with `Last-Event-ID` to resume: one channel as a plain
 * event stream. It is a session with one subscription and no upstream, that is never registered for
 * resume: the stream's event ids are channel positions, so resuming is a subscription `from` them.
 * The same hooks apply as for a session: `authorize` (with `auth` undefined) and `canSubscribe`.
 */
export async function openChannelStream(
  req: IncomingMessage,
  res: ServerResponse,
  core: ServerCore,
  hooks: ServerHooks,
  limits: HttpConnectionLimits,
  streams: Set<{ keepalive(): void; close(code: number, reason: string): void }>,
): Promise<void> {
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
  let ended = false;
  const session = new ServerSession(
    randomToken(16),
    '',
    auth.user,
    { maxFrames: core.options.outboundMaxFrames, maxBytes: core.options.outboundMaxBytes },
    {
      handle: async () => {},
      overflow: () => res.destroy(),
      end: () => res.end(),
    },
  );
  session.remoteAddress = info.remoteAddress;
  // A `$presence:` channel is readable by whoever may subscribe to the channel it belongs to.
  let allowed = true;
  const canSubscribe = hooks.canSubscribe;
  if (canSubscribe) {
    const fields = { channel, remoteAddress: info.remoteAddress };
    try {
      allowed =
        (await callHook(core.logger, 'canSubscribe', fields, () => canSubscribe(session, presenceTarget(channel) ?? channel))) === true;
    } catch (failure) {
      return replyText(res, 500, `handler_error: ${toldMessage((failure as HookFailure).thrown)}`);
    }
  }
  if (!allowed) return replyText(res, 403, `forbidden: not allowed to subscribe to "${channel}"`);
  if (res.destroyed || req.destroyed) return;
  // A stream is a session for the session limits (maxSessions, maxSessionsPerAddress).
  if (!core.openStream(info.remoteAddress))
    return replyText(res, 503, 'server_full: too many sessions; try again later', { 'retry-after': '5' });

  res.writeHead(200, SSE_HEADERS);
  res.write(': pushwire channel stream\nretry: 1000\n\n');
  const connection = new ChannelStreamConnection(res, session, limits);
  session.connection = connection;
  streams.add(connection);
  res.on('close', () => {
    core.streamEnded(info.remoteAddress);
    ended = true;
    connection.ended = true;
    session.ended = true;
    streams.delete(connection);
    core.channels.unsubscribeAll(session);
  });
  try {
    await core.channels.subscribe(session, channel, from, from ? undefined : rewind);
  } catch (error) {
    core.logger.error('channel stream subscribe failed', { channel, error: String(error) });
    if (!ended) res.end(`event: pushwire-error\ndata: ${JSON.stringify({ code: 'internal', msg: 'subscription failed' })}\n\n`);
  }
}
