// pushwire/react: hooks over a Pushwire client. Types come from 'pushwire' itself, so a client made by
// `connect()` from the main entry is the one these hooks take; no client code is bundled here
// (useSyncedState and usePresence import the `pushwire/sync` add-on, also not bundled here).
export { PushwireProvider, usePushwire, type PushwireProviderProps } from './context.js';
export { useConnection } from './use-connection.js';
export type { ConnectionSnapshot } from './connection-store.js';
export { useChannel, type ChannelStatus, type ChannelView, type UseChannelOptions } from './use-channel.js';
export { useClientEvent } from './use-client-event.js';
export { useSyncedState, type SyncedStateView } from './use-synced-state.js';
export { usePresence, type PresenceView } from './use-presence.js';
