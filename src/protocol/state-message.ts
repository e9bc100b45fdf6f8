import type { WireOperation } from './json-patch.js';

/**
 * A change of a channel's state document travels as an ordinary channel message whose payload is
 * `{"$patch": [JSON Patch operations: add, remove, replace]}`. Other messages on the channel leave the state as it is.
 * Only the server's state API may publish this shape; a client `pub` of it is refused.
 */
export interface StatePatchMessage {
  $patch: WireOperation[];
}

/** Whether a payload has the state-change shape (an own `$patch` key; its validity is checked on apply). */
export function isStatePatchMessage(data: unknown): data is StatePatchMessage {
  return typeof data === 'object' && data !== null && !Array.isArray(data) && Object.prototype.hasOwnProperty.call(data, '$patch');
}
