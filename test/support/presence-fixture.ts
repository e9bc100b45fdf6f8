import { MemoryBroker } from '../../src/server/broker/memory.js';
import { silentLogger } from '../../src/server/logger.js';
import type { Session } from '../../src/server/options.js';
import { PresenceRegistry, type PresenceOptions } from '../../src/server/presence/presence-registry.js';
import { StateStore } from '../../src/server/state/state-store.js';
import { closeAfterTest } from './close-after-test.js';

/** A stand-in for a server session: what PresenceRegistry reads of one, and `ended`, which the server sets. */
export type FakeSession = Session & { ended: boolean };

export interface PresenceFixture<B extends MemoryBroker> {
  broker: B;
  store: StateStore;
  registry: PresenceRegistry;
  /** A new session of `user`, with an id unique within this fixture. */
  session(user: unknown): FakeSession;
  /** The presence document of `channel` (null: nobody there). */
  doc(channel?: string): Promise<Record<string, Record<string, unknown>> | null>;
}

/**
 * A presence registry on its own broker (closed by `closeAll()`), with its own sessions: make one per
 * test, so no test sees another's members, broker or session numbering.
 */
export function presenceFixture<B extends MemoryBroker = MemoryBroker>(
  options: PresenceOptions = {},
  broker: B = new MemoryBroker() as B,
): PresenceFixture<B> {
  closeAfterTest(broker);
  const store = new StateStore(broker);
  const registry = new PresenceRegistry(store, silentLogger, options);
  let sessions = 0;
  return {
    broker,
    store,
    registry,
    session: (user) => ({
      id: `s${++sessions}`,
      user,
      ended: false,
      transport: null,
      remoteAddress: '',
      data: {},
      channels: () => [],
      send() {},
      close() {},
    }),
    doc: async (channel = 'room') => (await store.read<Record<string, Record<string, unknown>>>(`$presence:${channel}`)).state,
  };
}
