import type { Pushwire, TransportDefinition } from './pushwire-module.js';

/** The protocol's fallback order; a transport the library adds under another name goes last. */
const FALLBACK_ORDER = ['websocket', 'sse', 'long-polling'];
const rank = (name: string): number => (FALLBACK_ORDER.includes(name) ? FALLBACK_ORDER.indexOf(name) : FALLBACK_ORDER.length);

/** `?transport=NAME` forces one transport; without it the client uses its default order. */
export const TRANSPORT_PARAM = 'transport';

function isTransport(value: unknown): value is TransportDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as TransportDefinition).create === 'function' &&
    typeof (value as TransportDefinition).name === 'string'
  );
}

/**
 * Every transport the library exports, in fallback order (WebSocket today; SSE and long-polling once they exist), found
 * by shape rather than by a list here, so the inspector's control offers whatever the build has.
 */
export function availableTransports(pushwire: Pushwire): TransportDefinition[] {
  const found = new Map<string, TransportDefinition>();
  for (const value of Object.values(pushwire)) if (isTransport(value)) found.set(value.name, value);
  return [...found.values()].sort((a, b) => rank(a.name) - rank(b.name));
}

/** The transport forced by the page's URL, if any and if it exists. */
export function forcedTransport(pushwire: Pushwire, search: string): TransportDefinition | undefined {
  const name = new URLSearchParams(search).get(TRANSPORT_PARAM);
  return name ? availableTransports(pushwire).find((transport) => transport.name === name) : undefined;
}

/** The URL that reloads this page with `name` forced (or with the default order for ''). */
export function urlForcing(name: string, href: string): string {
  const url = new URL(href);
  if (name) url.searchParams.set(TRANSPORT_PARAM, name);
  else url.searchParams.delete(TRANSPORT_PARAM);
  return url.toString();
}
