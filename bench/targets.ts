import type { ClientKind } from './clients/client.js';
import { pushwireTransport } from './clients/pushwire-transports.js';
import type { ServerKind } from './servers/server.js';

export type TargetId =
  | 'pushwire-websocket'
  | 'pushwire-sse'
  | 'pushwire-long-polling'
  | 'socketio-websocket'
  | 'socketio-polling'
  | 'ws'
  | 'sse';

/** One column of the bench: a server and the client that talks to it, over one transport. */
export interface Target {
  id: TargetId;
  label: string;
  server: ServerKind;
  client: ClientKind;
  /** Pushwire resumes sessions; the resume scenario runs for its targets only. */
  resumable: boolean;
  /** Polling transports also report requests and bytes per delivered message. */
  polling: boolean;
  /** Why this target can't run yet, or null. */
  unavailable: string | null;
}

function pushwireTarget(id: TargetId, label: string, transport: 'websocket' | 'sse' | 'long-polling'): Target {
  return {
    id,
    label,
    server: 'pushwire',
    client: id as ClientKind,
    resumable: true,
    polling: transport === 'long-polling',
    unavailable: pushwireTransport(transport) ? null : `not yet available: the client has no ${transport} transport`,
  };
}

export function allTargets(): Target[] {
  const anchor = (id: TargetId, label: string, server: ServerKind, polling = false): Target => ({
    id,
    label,
    server,
    client: id as ClientKind,
    resumable: false,
    polling,
    unavailable: null,
  });
  return [
    pushwireTarget('pushwire-websocket', 'Pushwire WS', 'websocket'),
    pushwireTarget('pushwire-sse', 'Pushwire SSE', 'sse'),
    pushwireTarget('pushwire-long-polling', 'Pushwire LP', 'long-polling'),
    anchor('ws', 'plain ws', 'ws'),
    anchor('sse', 'plain SSE', 'sse'),
    anchor('socketio-websocket', 'Socket.IO WS', 'socketio-websocket'),
    anchor('socketio-polling', 'Socket.IO polling', 'socketio-polling', true),
  ];
}
