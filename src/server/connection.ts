import type { TransportName } from '../protocol/frames.js';
import type { OutFrame } from './out-frame.js';
import type { SessionMemory } from './memory-budget.js';

/**
 * One live pipe to a client, as a server transport presents it. The session layer writes frames and
 * closes; the transport reports text frames and its own end to the session layer (ConnectionHandler).
 */
export interface Connection {
  readonly transport: TransportName;
  /** Writes one frame (or queues it, for transports that batch). */
  send(frame: OutFrame): void;
  /** Bytes handed to the transport and not yet flushed to the network. */
  readonly pendingBytes: number;
  /** Tells the client the close code (as a close frame where the transport needs one) and ends the pipe. */
  close(code: number, reason: string): void;
  /** A connection that queues frames itself (long-polling) counts that queue in its session's memory account. */
  account?(memory: SessionMemory): void;
}

/** What the session layer gives a transport for each new connection. */
export interface ConnectionHandler {
  /** One text frame from the client. */
  onText(text: string): void;
  /** The pipe ended (either side). */
  onClose(): void;
}
