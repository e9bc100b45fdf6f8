import type { ServerFrame } from '../protocol/frames.js';
import { atTickEnd } from './tick-end.js';

/**
 * A server frame serialized once. A broadcast frame is the same object for every subscriber, so its
 * text is built once and each transport can cache its own encoding of it (a WebSocket frame, an SSE
 * event) on the object instead of re-encoding per socket.
 *
 * A reliable frame's encodings are dropped at the end of the tick that made them: a fan-out writes
 * every copy in that tick, while a frame kept until acknowledged would otherwise hold its text and its
 * encodings twice for as long as it waits (a replay frames it again).
 */
export class OutFrame {
  readonly bytes: number;
  /** Sessions holding this frame until acknowledged; the memory budget counts a frame held by several once. */
  holders = 0;
  /**
   * The first encoding made sits in two fields; a frame goes out on one kind of transport nearly
   * always, and a Map per frame would cost memory for every frame kept until acknowledged. Others
   * (a broadcast to subscribers on several transports) go in a Map made only then.
   */
  private encodingKey: string | undefined;
  private encoding: unknown;
  private otherEncodings: Map<string, unknown> | undefined;

  constructor(
    readonly text: string,
    readonly reliable: boolean,
  ) {
    this.bytes = Buffer.byteLength(text);
  }

  static of(frame: ServerFrame, reliable: boolean): OutFrame {
    return new OutFrame(JSON.stringify(frame), reliable);
  }

  /** The first session now holds this frame (a channel frame becomes findable for replays). */
  retained(): void {}

  /** The last session holding this frame let it go. */
  released(): void {}

  /** The transport-specific encoding under `key`, made on first use and shared until the tick ends. */
  encoded<T>(key: string, make: (text: string) => T): T {
    if (this.encodingKey === key) return this.encoding as T;
    if (this.encodingKey === undefined) {
      this.encodingKey = key;
      if (this.reliable) atTickEnd(dropEncodings, this);
      return (this.encoding = make(this.text)) as T;
    }
    const cached = this.otherEncodings?.get(key);
    if (cached !== undefined) return cached as T;
    const value = make(this.text);
    (this.otherEncodings ??= new Map()).set(key, value);
    return value;
  }

  /** Forgets the cached encodings (they are made again if the frame is sent in a later tick). */
  dropEncodings(): void {
    this.encodingKey = undefined;
    this.encoding = undefined;
    this.otherEncodings = undefined;
  }
}

function dropEncodings(frame: OutFrame): void {
  frame.dropEncodings();
}
