import type { ClientState, PushwireClient, TransportName } from 'pushwire';

/** What `useConnection` returns. A new object only when something in it changed. */
export interface ConnectionSnapshot {
  state: ClientState;
  /** The transport in use or being tried; null once closed. */
  transport: TransportName | null;
  /** The server's id of the current session; null before the first welcome. */
  sessionId: string | null;
  /** Connections opened again after the first (resumed or not) since the store started watching. */
  reconnects: number;
  /** Of those, the ones that had to start a new session (the server lost the old one). */
  newSessions: number;
  /** Of those, the ones whose session continued on another server node (see OpenInfo.moved). */
  moves: number;
  /** Whether the latest open continued the previous session; null before the first open. */
  resumed: boolean | null;
}

export interface ConnectionStore {
  subscribe(onChange: () => void): () => void;
  getSnapshot(): ConnectionSnapshot;
}

// One store per client, created on first use and kept for the client's life, so every component
// reads the same counters no matter when it mounted.
const stores = new WeakMap<PushwireClient, ConnectionStore>();

export function connectionStore(client: PushwireClient): ConnectionStore {
  let store = stores.get(client);
  if (!store) {
    store = createStore(client);
    stores.set(client, store);
  }
  return store;
}

function createStore(client: PushwireClient): ConnectionStore {
  const listeners = new Set<() => void>();
  let opens = client.state === 'open' ? 1 : 0;
  let newSessions = 0;
  let moves = 0;
  let resumed: boolean | null = null;
  let snapshot = read();

  function read(): ConnectionSnapshot {
    return {
      state: client.state,
      transport: client.transport,
      sessionId: client.sessionId,
      reconnects: Math.max(0, opens - 1),
      newSessions,
      moves,
      resumed,
    };
  }

  function refresh(): void {
    const next = read();
    const same = (Object.keys(next) as Array<keyof ConnectionSnapshot>).every((key) => next[key] === snapshot[key]);
    if (same) return;
    snapshot = next;
    for (const listener of [...listeners]) listener();
  }

  client.on('open', (info) => {
    opens++;
    if (opens > 1 && !info.resumed) newSessions++;
    if (opens > 1 && info.moved) moves++;
    resumed = info.resumed;
    refresh();
  });
  client.on('state', refresh);
  client.on('reconnecting', refresh);
  client.on('close', refresh);
  // The transport changes without a state change when the client falls back or upgrades.
  client.on('fallback', refresh);
  client.on('upgrade', refresh);

  return {
    subscribe(onChange) {
      listeners.add(onChange);
      // The client may have moved on between render and subscribe.
      refresh();
      return () => listeners.delete(onChange);
    },
    getSnapshot: () => snapshot,
  };
}
