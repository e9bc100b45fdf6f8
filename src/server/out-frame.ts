import type { ServerFrame } from '../protocol/frames.js';

/**
 * A server frame serialized once. A broadcast frame is the same object for every subscriber, so its
 * text is built once and each transport can cache its own encoding of it (a WebSocket frame, an SSE
 * event) on the object instead of re-encoding per socket.
 */
export class OutFrame {
  readonly bytes: number;
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

  /** The transport-specific encoding under `key`, made on first use and shared afterwards. */
  encoded<T>(key: string, make: (text: string) => T): T {
    if (this.encodingKey === key) return this.encoding as T;
    if (this.encodingKey === undefined) {
      this.encodingKey = key;
      return (this.encoding = make(this.text)) as T;
    }
    const cached = this.otherEncodings?.get(key);
    if (cached !== undefined) return cached as T;
    const value = make(this.text);
    (this.otherEncodings ??= new Map()).set(key, value);
    return value;
  }
}
