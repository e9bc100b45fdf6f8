import type { TransportName } from '../protocol/frames.js';
import type { MemoryStats } from './memory-budget.js';
import type { SessionEndReason } from './options.js';

export type LimitKind =
  | 'sessions' // maxSessions reached
  | 'sessions_per_address' // maxSessionsPerAddress reached
  | 'subscriptions' // maxSubscriptions reached
  | 'rate' // a frame over framesPerSecond/frameBurst or bytesPerSecond/byteBurst
  | 'payload' // a frame over maxPayload
  | 'origin' // an Origin not allowed
  | 'other_user' // a resume with the credentials of another user than the session's (close 4201)
  | 'handshake_timeout' // no hello in time (slowloris)
  | 'handshake_pings' // more pings before hello than an upgrade probe sends
  | 'handshakes_per_address' // maxHandshakesPerAddress reached
  | 'inbox_bytes' // a client frame refused: its session's inbox was full (memory.inboxBytes)
  | 'address_bytes' // a client address over memory.addressBytes: a frame or session refused, or a session shed
  | 'process_bytes'; // the process over memory.processBytes: a frame or session refused, or a session shed

/** Monotonic counters of one server, for `server.stats()` and the Prometheus endpoint. */
export class Counters {
  sessionsOpened = 0;
  sessionsResumed = 0;
  /** Sessions taken over from another node (their client resumed here). */
  sessionsAdopted = 0;
  /** HTTP POSTs and polls for a connection on another node, passed on to it (a cluster without sticky sessions). */
  passedOn = 0;
  /** A session resumed on another transport than its previous connection's (a fallback or an upgrade). */
  transportSwitches = 0;
  sessionsEnded: Record<SessionEndReason, number> = { bye: 0, expired: 0, evicted: 0, closed: 0, moved: 0 };
  framesIn = 0;
  /** Reliable frames sent to sessions (channel messages included: one per delivery). */
  framesOut = 0;
  /** Subscriptions told `reset`: a gap that history could not fill. */
  resets = 0;
  heartbeatTimeouts = 0;
  limitHits: Record<LimitKind, number> = {
    sessions: 0,
    sessions_per_address: 0,
    subscriptions: 0,
    rate: 0,
    payload: 0,
    origin: 0,
    other_user: 0,
    handshake_timeout: 0,
    handshake_pings: 0,
    handshakes_per_address: 0,
    inbox_bytes: 0,
    address_bytes: 0,
    process_bytes: 0,
  };
}

export interface ServerStats {
  sessions: number;
  /** Sessions with a live connection, per transport. */
  connected: number;
  byTransport: Record<TransportName, number>;
  channels: number;
  /** What the sessions hold, in bytes (see docs/OPERATIONS.md, "Memory budget"). */
  memory: MemoryStats;
  counters: Counters;
}

/** The stats in Prometheus text exposition format. */
export function renderPrometheus(stats: ServerStats): string {
  const lines: string[] = [];
  const metric = (name: string, type: 'gauge' | 'counter', help: string, samples: Array<[labels: string, value: number]>): void => {
    lines.push(`# HELP pushwire_${name} ${help}`, `# TYPE pushwire_${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`pushwire_${name}${labels} ${value}`);
  };
  const c = stats.counters;
  metric('sessions', 'gauge', 'Sessions alive, connected or waiting for their client.', [['', stats.sessions]]);
  metric(
    'connections',
    'gauge',
    'Sessions with a live connection, by transport.',
    Object.entries(stats.byTransport).map(([transport, n]) => [`{transport="${transport}"}`, n]),
  );
  metric('channels', 'gauge', 'Channels with subscribers on this node.', [['', stats.channels]]);
  metric('memory_bytes', 'gauge', 'Bytes held by sessions (shared frames once): unacknowledged frames, inboxes, connection queues.', [
    ['', stats.memory.bytes],
  ]);
  metric('memory_budget_bytes', 'gauge', 'The process memory budget (memory.processBytes).', [['', stats.memory.budget]]);
  metric('memory_inbox_bytes', 'gauge', 'Bytes of client frames received and not yet handled.', [['', stats.memory.inbox]]);
  metric('sessions_opened_total', 'counter', 'New sessions.', [['', c.sessionsOpened]]);
  metric('sessions_resumed_total', 'counter', 'Sessions resumed on a new connection.', [['', c.sessionsResumed]]);
  metric('sessions_adopted_total', 'counter', 'Sessions taken over from another node.', [['', c.sessionsAdopted]]);
  metric('requests_passed_on_total', 'counter', 'HTTP requests for a connection on another node, passed on to it.', [['', c.passedOn]]);
  metric('transport_switches_total', 'counter', 'Resumes on another transport (fallbacks and upgrades).', [['', c.transportSwitches]]);
  metric(
    'sessions_ended_total',
    'counter',
    'Sessions ended, by reason (evicted: a slow consumer).',
    Object.entries(c.sessionsEnded).map(([reason, n]) => [`{reason="${reason}"}`, n]),
  );
  metric('frames_in_total', 'counter', 'Frames received from clients.', [['', c.framesIn]]);
  metric('frames_out_total', 'counter', 'Reliable frames sent to clients (one per delivery).', [['', c.framesOut]]);
  metric('resets_total', 'counter', 'Subscriptions reset because history could not fill a gap.', [['', c.resets]]);
  metric('heartbeat_timeouts_total', 'counter', 'Connections dropped for silence.', [['', c.heartbeatTimeouts]]);
  metric(
    'limit_hits_total',
    'counter',
    'Requests refused by a limit, by limit.',
    Object.entries(c.limitHits).map(([limit, n]) => [`{limit="${limit}"}`, n]),
  );
  return `${lines.join('\n')}\n`;
}
