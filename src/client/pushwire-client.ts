import type { ClientOptions } from './client-types.js';
import { PushwireClientBase } from './client.js';
import type { OptionalParts } from './session.js';
import { transportMemory } from './transport-memory.js';
import { upgradeProbe } from './upgrade-probe.js';

/** Every optional part of the session: the transport memory and the upgrade probe. */
const ALL_PARTS: OptionalParts = { memory_: transportMemory, probe_: upgradeProbe };

/**
 * A Pushwire client: one logical session over whichever transport works, kept alive across
 * reconnects, with every part (a fallback that worked is remembered, and the session moves back onto
 * the preferred transport once it works again). Create it with `connect(url, options)`.
 */
export class PushwireClient extends PushwireClientBase {
  constructor(url: string, options: ClientOptions = {}) {
    super(url, options, ALL_PARTS);
  }
}
