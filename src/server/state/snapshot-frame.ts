import type { Broker } from '../broker/broker.js';
import { errorFrame } from '../frames.js';
import { OutFrame } from '../out-frame.js';

/** The `snap` frame answering `get` frame `s`: the state JSON is spliced in as it came from the broker. */
export function snapshotFrame(s: number, channel: string, epoch: string, seq: number, json: string): OutFrame {
  return new OutFrame(`{"t":"snap","s":${s},"ch":${JSON.stringify(channel)},"e":${JSON.stringify(epoch)},"q":${seq},"d":${json}}`, true);
}

/**
 * Answers a `get`: the channel's snapshot, or `too_large` if it would take more than half of the
 * session's outbound buffer (sending it would evict the session instead of syncing it).
 */
export async function answerGet(broker: Broker, s: number, channel: string, maxBytes: number): Promise<OutFrame> {
  const snapshot = await broker.state(channel);
  const frame = snapshotFrame(s, channel, snapshot.epoch, snapshot.seq, snapshot.json);
  if (frame.bytes <= maxBytes) return frame;
  return errorFrame(
    'too_large',
    `the state of "${channel}" (${frame.bytes} bytes) exceeds what a session can buffer (${maxBytes} bytes)`,
    s,
    channel,
  );
}
