import type { WelcomeFrame } from '../../../src/protocol/frames.js';

/** A frame the client sent, parsed. */
export type SentFrame = { t: string; s?: number; [field: string]: unknown };

/** The frames of one message or request body: one or more JSON frames separated by `\n` (the hello with its pipelined subscriptions). */
export function parseFrames(text: string): SentFrame[] {
  return text.split('\n').map((line) => JSON.parse(line) as SentFrame);
}

/** The server's welcome of a new session with a 25 s heartbeat; `fields` override the defaults. */
export function welcomeFrame(fields: Partial<Omit<WelcomeFrame, 't'>> = {}): WelcomeFrame {
  return {
    t: 'welcome',
    v: 1,
    sid: 'sid-1',
    secret: 'secret-1',
    resumed: false,
    rx: 0,
    hb: 25_000,
    max: 65_536,
    tr: ['websocket'],
    ...fields,
  };
}
