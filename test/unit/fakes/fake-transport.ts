import { afterEach, beforeEach, vi } from 'vitest';
import {
  type ClientOptions,
  PushwireClient,
  type Transport,
  type TransportDefinition,
  type TransportHandlers,
  websocket,
} from '../../../src/client/index.js';
import type { ReceiptPacing } from '../../../src/client/transports/transport.js';
import { parseFrames, welcomeFrame } from './wire.js';

/** One connection of the fake transport: what the client sent, and a way to play the server. */
export class FakePipe {
  readonly sent: string[] = [];
  closed = false;

  constructor(readonly handlers: TransportHandlers) {}

  /** Frames the client sent, parsed. */
  get frames(): Record<string, unknown>[] {
    return this.sent.flatMap(parseFrames);
  }

  framesOf(type: string): Record<string, unknown>[] {
    return this.frames.filter((frame) => frame.t === type);
  }

  receive(frame: Record<string, unknown>): void {
    this.handlers.frame(JSON.stringify(frame));
  }

  /** Opens the pipe and answers the client's hello with a welcome. */
  async welcome(options: { sid?: string; resumed?: boolean; resync?: boolean; rx?: number } = {}): Promise<void> {
    this.handlers.open();
    await Promise.resolve(); // the client sends hello after resolving its auth option
    const resync = options.resync ? { resync: true } : {};
    this.receive({
      ...welcomeFrame({ sid: options.sid ?? 'session-1', secret: 'secret', resumed: options.resumed ?? false, rx: options.rx ?? 0 }),
      ...resync,
    });
  }

  /** The server side ends the connection. */
  drop(code = 1006, reason = 'gone'): void {
    this.closed = true;
    this.handlers.close(code, reason);
  }
}

/** A transport whose every connection is a FakePipe the test drives; it states WebSocket's defaults (connect timeout, probe, bye). */
export function fakeTransport(receipts?: ReceiptPacing): { definition: TransportDefinition; pipes: FakePipe[]; last: () => FakePipe } {
  const pipes: FakePipe[] = [];
  const definition: TransportDefinition = {
    ...websocket,
    ...(receipts ? { receipts } : {}),
    create({ handlers }): Transport {
      const pipe = new FakePipe(handlers);
      pipes.push(pipe);
      return {
        send: (text) => void pipe.sent.push(text),
        close: () => void (pipe.closed = true),
      };
    },
  };
  return {
    definition,
    pipes,
    last: () => {
      const pipe = pipes[pipes.length - 1];
      if (!pipe) throw new Error('no connection attempt yet (the client connects on a microtask)');
      return pipe;
    },
  };
}

/**
 * Fake timers around each test, and a `start` that makes a client on a fake transport (closed after
 * the test), resolving once its first connection attempt exists (it starts on a microtask).
 */
export function useFakeClient(): (
  options?: ClientOptions & { receipts?: ReceiptPacing },
) => Promise<{ client: PushwireClient } & ReturnType<typeof fakeTransport>> {
  let client: PushwireClient | undefined;
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    client?.close();
    client = undefined;
    vi.useRealTimers();
  });
  return async ({ receipts, ...options } = {}) => {
    const fake = fakeTransport(receipts);
    client = new PushwireClient('http://example.test/pushwire', { transports: [fake.definition], random: () => 0.5, ...options });
    await Promise.resolve();
    return { client, ...fake };
  };
}
