import type * as PushwireModule from 'pushwire';
import type * as PushwireSyncModule from 'pushwire/sync';

/**
 * The client library as the pages get it: `window.Pushwire` (the IIFE build) on the vanilla page,
 * `import * as Pushwire from 'pushwire'` (the ESM build) on the React page. The shared demo code only
 * takes it as a parameter, so it bundles none of the library itself.
 */
export type Pushwire = typeof PushwireModule;
/** The synced state and presence add-on: `window.Pushwire.sync` on the vanilla page, `pushwire/sync` in ESM. */
export type PushwireSync = typeof PushwireSyncModule;
export type { ClientState, MessageInfo, PushwireClient, SubscribedInfo, TransportDefinition } from 'pushwire';
