/**
 * What a server node needs from a shared store (Redis) to run as one of several nodes: session records
 * any node can pick up, a bus to ask another node to do something, and which nodes are alive.
 * A broker that can offer this returns one link per server from `broker.cluster()`.
 */

/** A session as any node can find it. */
export interface StoredSession {
  /** SHA-256 of the session secret, hex. */
  secretHash: string;
  /** Who the session is (`userIdentity` of its user): a resume by another user is refused. */
  user: string;
  /** The node that holds the session now (or held it when it died). */
  node: string;
  /** Highest client sequence number handled: a client resending frames up to it gets only an ack. */
  handled: number;
  /**
   * Reliable frames sent and not yet acknowledged that a move must carry: direct messages, answers and
   * errors, with their numbers in the session's frame count (channel messages and subscription
   * confirmations are not kept: the client's re-subscription replays those from channel history).
   */
  frames: Array<{ n: number; text: string }>;
}

/** What one node asks another. */
export type NodeCall =
  /** Give up a session: another node is taking it over for its client. */
  | { kind: 'release'; sid: string }
  /** End a session this node holds: its client said goodbye to the asking node (which checked the secret). */
  | { kind: 'bye'; sid: string }
  /** Client frames POSTed to the asking node for an HTTP connection that lives on this node. */
  | { kind: 'send'; token: string; body: string }
  /** A long-poll that reached the asking node for a connection that lives on this node. */
  | { kind: 'poll'; token: string; received: number };

/** A call's node has no subscription to its bus: it crashed, or it is cut off from the store. */
export class NodeNotListening extends Error {}

/** The answer, shaped like the HTTP response the asking node gives its client. */
export interface NodeAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface ClusterHandlers {
  /** Answers a call from another node. */
  call(call: NodeCall): Promise<NodeAnswer>;
  /** Ids of the sessions this node holds, whose records must not expire while it lives. */
  sessions(): Iterable<string>;
  /** A node stopped sending heartbeats; exactly one live node is told, to clean up after it. */
  nodeDied(node: string): Promise<void>;
  /**
   * This node was taken for dead (its heartbeats lapsed past `nodeTimeout`, e.g. it was paused or cut
   * off from the store): other nodes may have taken its sessions over. Every session it holds must end
   * here before it handles anything more. The node then goes on under a new id.
   */
  fenced(): void;
}

/**
 * Record writes are fenced: each one takes effect only while the record says this node holds the
 * session (or there is no record), atomically in the store, and resolves whether it did. A node never
 * changes a record another node holds.
 */
export interface ClusterLink {
  /** This node's id; it changes when the node was taken for dead and rejoins (see `fenced`). */
  readonly nodeId: string;
  /** Joins the cluster: heartbeats, the node's bus topic, record refresh. `sessionTtl` is how long a record outlives its node. */
  start(handlers: ClusterHandlers, sessionTtl: number): Promise<void>;
  /** Asks `node`; rejects if it does not answer within `timeout` ms. */
  call(node: string, call: NodeCall, timeout: number): Promise<NodeAnswer>;
  isAlive(node: string): Promise<boolean>;
  /**
   * Takes `node` for dead, so its sessions can be taken over without it: `now` when it no longer
   * listens (a `call` failed with NodeNotListening), else once it has missed heartbeats for half of
   * `nodeTimeout` — waiting up to `nodeTimeout` for that. Resolves false if it goes on heartbeating.
   * Exactly one node cleans up after a dead node (`nodeDied`).
   */
  declareDead(node: string, now: boolean): Promise<boolean>;
  /**
   * True while this node cannot be sure the others still count it alive: no heartbeat of its own has
   * been confirmed for half of `nodeTimeout`. Synchronous, checked before every client frame.
   */
  lapsed(): boolean;
  /**
   * Heartbeats until this node is confirmed alive (true), or finds it was taken for dead (false, after
   * `fenced` has ended its sessions).
   */
  confirmAlive(): Promise<boolean>;
  loadSession(id: string): Promise<StoredSession | null>;
  /**
   * Writes a session's record as held by this node, replacing any frames kept before: if there is no
   * record, or it is held by this node or by `from` (the node it is taken over from).
   */
  saveSession(id: string, record: Omit<StoredSession, 'node'>, from?: string): Promise<boolean>;
  keepFrame(id: string, n: number, text: string): Promise<boolean>;
  /** Forgets the oldest `count` kept frames (acknowledged by the client). */
  dropFrames(id: string, count: number): Promise<boolean>;
  recordHandled(id: string, seq: number): Promise<boolean>;
  deleteSession(id: string): Promise<boolean>;
  /** Notes that this node has presence entries in `channel`, for the cleanup if it dies. */
  trackPresence(channel: string): Promise<void>;
  /** Presence channels `node` had entries in (it died), and forgets the list. */
  takePresence(node: string): Promise<string[]>;
  close(): Promise<void>;
}
