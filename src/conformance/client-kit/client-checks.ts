import { connectionChecks } from './connection-checks.js';
import { httpChecks } from './http-checks.js';
import type { ClientCheck } from './script-steps.js';
import { sessionChecks } from './session-checks.js';

export type { ClientCheck, ClientRun, ClientTransport } from './script-steps.js';

/** Every client check of the kit, one or more per client rule of docs/PROTOCOL.md. */
export const clientChecks: ClientCheck[] = [...sessionChecks, ...connectionChecks, ...httpChecks];
