import type * as PushwireModule from 'pushwire';

/**
 * The client library as the pages get it: `window.Pushwire` (the IIFE build) on the vanilla page,
 * `import * as Pushwire from 'pushwire'` (the ESM build) on the React page. The shared demo code only
 * takes it as a parameter, so it bundles none of the library itself.
 */
export type Pushwire = typeof PushwireModule;
export type { ClientState, MessageInfo, PushwireClient, SubscribedInfo, TransportDefinition } from 'pushwire';
