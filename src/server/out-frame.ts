import type { ServerFrame } from '../protocol/frames.js';

/**
 * A server frame serialized once. A broadcast frame is the same object for every subscriber, so its
 * text is built once and each transport can cache its own encoding of it (a WebSocket frame, an SSE
 * event) on the object instead of re-encoding per socket.
 */
export class OutFrame {
  readonly bytes: number;
  private encodings: Map<string, unknown> | undefined;

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
    const cached = this.encodings?.get(key);
    if (cached !== undefined) return cached as T;
    const value = make(this.text);
    (this.encodings ??= new Map()).set(key, value);
    return value;
  }
}
