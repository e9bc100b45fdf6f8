import { isValidChannelName } from './channel.js';
import type { ClientFrame, HelloFrame, Position } from './frames.js';
import type { ServerErrorCode } from './codes.js';
import { MAX_PRESENCE_TARGET_LENGTH, presenceChannel } from './presence.js';

export type ParseResult = { ok: true; frame: ClientFrame } | { ok: false; code: ServerErrorCode; msg: string; s?: number; ch?: string };

const MAX_TOKEN_LENGTH = 128;

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isSeq(value: unknown): value is number {
  return isCount(value) && value > 0;
}

function isToken(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_TOKEN_LENGTH;
}

function isPosition(value: unknown): value is Position {
  return Array.isArray(value) && value.length === 2 && isToken(value[0]) && isCount(value[1]);
}

function bad(msg: string, s?: number, code: ServerErrorCode = 'bad_frame'): ParseResult {
  return s === undefined ? { ok: false, code, msg } : { ok: false, code, msg, s };
}

/**
 * Parses and checks one client frame (server side). Never throws: anything that is not a well-formed
 * frame of protocol version 1 comes back as an error the server can answer with.
 */
export function parseClientFrame(text: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return bad('frame is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return bad('frame must be a JSON object');
  }
  const f = value as Record<string, unknown>;
  const t = f.t;
  if (typeof t !== 'string') return bad('frame has no type field "t"');

  // Frames with a sequence number: check it first, so later errors can name the frame.
  if (t === 'sub' || t === 'unsub' || t === 'pub' || t === 'msg' || t === 'req' || t === 'get' || t === 'join' || t === 'leave') {
    if (!isSeq(f.s)) return bad(`"${t}" frame needs a positive integer sequence number "s"`);
    const s = f.s;
    if (t !== 'msg' && t !== 'req') {
      if (!isValidChannelName(f.ch)) {
        return { ok: false, code: 'bad_channel', msg: 'channel name must be 1-200 printable ASCII characters', s };
      }
    }
    if (t === 'sub') {
      if (f.from !== undefined && !isPosition(f.from)) return bad('"from" must be [epoch, seq]', s);
      if (f.rewind !== undefined && !isCount(f.rewind)) return bad('"rewind" must be a non-negative integer', s);
    }
    if ((t === 'pub' || t === 'msg' || t === 'req') && !('d' in f)) return bad(`"${t}" frame needs a payload "d"`, s);
    if ((t === 'join' || t === 'leave') && !isValidChannelName(presenceChannel(f.ch as string))) {
      return {
        ok: false,
        code: 'bad_channel',
        msg: `a channel with presence may have at most ${MAX_PRESENCE_TARGET_LENGTH} characters`,
        s,
      };
    }
    if (t === 'join' && !('meta' in f)) return bad('"join" frame needs "meta"', s);
    return { ok: true, frame: f as unknown as ClientFrame };
  }
  switch (t) {
    case 'hello':
      return parseHello(f);
    case 'ack':
    case 'pong':
      if (!isCount(f.n)) return bad(`"${t}" frame needs a non-negative integer "n"`);
      return { ok: true, frame: f as unknown as ClientFrame };
    case 'ping':
      if (!isCount(f.id)) return bad('"ping" frame needs a non-negative integer "id"');
      return { ok: true, frame: f as unknown as ClientFrame };
    case 'bye':
      return { ok: true, frame: { t: 'bye' } };
    default:
      // With a valid `s` the frame consumes it like any refused sequenced frame: a client that sent a
      // newer version's frame type learns it failed, instead of seeing an ack without an error.
      return bad(`unknown frame type "${t.slice(0, 32)}"`, isSeq(f.s) ? f.s : undefined, 'unknown_type');
  }
}

function parseHello(f: Record<string, unknown>): ParseResult {
  if (!isCount(f.v)) return bad('"hello" frame needs a protocol version "v"');
  const hello: HelloFrame = { t: 'hello', v: f.v };
  if (f.sid !== undefined || f.secret !== undefined || f.rx !== undefined) {
    if (!isToken(f.sid) || !isToken(f.secret) || !isCount(f.rx)) {
      return bad('a resuming "hello" needs "sid", "secret" and "rx"');
    }
    hello.sid = f.sid;
    hello.secret = f.secret;
    hello.rx = f.rx;
  }
  if (f.auth !== undefined) hello.auth = f.auth;
  return { ok: true, frame: hello };
}
