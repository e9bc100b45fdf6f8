import type { ServerErrorCode } from '../protocol/codes.js';
import type { SubscribeStatus, WelcomeFrame } from '../protocol/frames.js';
import { OutFrame } from './out-frame.js';

/** Builders for the frames the server sends; reliable ones are counted and kept until acknowledged. */

export const PING_FRAME = OutFrame.of({ t: 'ping' }, false);

export function welcomeFrame(welcome: Omit<WelcomeFrame, 't'>): OutFrame {
  return OutFrame.of({ t: 'welcome', ...welcome }, false);
}

export function ackFrame(s: number): OutFrame {
  return OutFrame.of({ t: 'ack', s }, false);
}

export function pongFrame(id: number): OutFrame {
  return OutFrame.of({ t: 'pong', id }, false);
}

export function closeFrame(code: number, reason: string, retry?: number): OutFrame {
  return OutFrame.of(retry === undefined ? { t: 'close', code, reason } : { t: 'close', code, reason, retry }, false);
}

export function errorFrame(code: ServerErrorCode, msg: string, s?: number, ch?: string): OutFrame {
  return OutFrame.of({ t: 'err', code, msg, ...(s === undefined ? {} : { s }), ...(ch === undefined ? {} : { ch }) }, true);
}

/** `s`: the `sub` frame this answers (absent when the server resets a subscription on its own). */
export function subscribedFrame(ch: string, e: string, q: number, h: number, st: SubscribeStatus, s?: number): OutFrame {
  return OutFrame.of(s === undefined ? { t: 'subd', ch, e, q, h, st } : { t: 'subd', s, ch, e, q, h, st }, true);
}

export function directFrame(json: string): OutFrame {
  return new OutFrame(`{"t":"msg","d":${json}}`, true);
}

/** The answer to request `s`; `json` is the handler's result, serialized. */
export function responseFrame(s: number, json: string): OutFrame {
  return new OutFrame(`{"t":"res","s":${s},"d":${json}}`, true);
}

/**
 * The prefix of every `m` frame of one channel epoch, `{"t":"m","ch":…,"e":…,"q":`, so that building
 * a message frame is one string concatenation with the payload JSON that was serialized at publish.
 */
export function messageFramePrefix(channel: string, epoch: string): string {
  return `{"t":"m","ch":${JSON.stringify(channel)},"e":${JSON.stringify(epoch)},"q":`;
}

export function messageFrame(prefix: string, seq: number, json: string): OutFrame {
  return new OutFrame(messageFrameText(prefix, seq, json), true);
}

export function messageFrameText(prefix: string, seq: number, json: string): string {
  return `${prefix}${seq},"d":${json}}`;
}
