import * as client from '../../src/client/index.js';
import type { TransportDefinition, TransportName } from '../../src/client/index.js';

function isTransportDefinition(value: unknown): value is TransportDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as TransportDefinition).name === 'string' &&
    typeof (value as TransportDefinition).create === 'function'
  );
}

/**
 * The client's transport of this name, if the client exports one. SSE and long-polling are being built
 * separately: their bench scenarios run as soon as the client exports them, without a change here.
 */
export function pushwireTransport(name: TransportName): TransportDefinition | undefined {
  return Object.values(client).find((value): value is TransportDefinition => isTransportDefinition(value) && value.name === name);
}
