import { OutFrame } from '../out-frame.js';

/** The `snap` frame answering `get` frame `s`: the state JSON is spliced in as it came from the broker. */
export function snapshotFrame(s: number, channel: string, epoch: string, seq: number, json: string): OutFrame {
  return new OutFrame(`{"t":"snap","s":${s},"ch":${JSON.stringify(channel)},"e":${JSON.stringify(epoch)},"q":${seq},"d":${json}}`, true);
}
