import type { Clock } from './clock.js';
import type { Transport, TransportContext, TransportDefinition, TransportHandlers } from './transports/transport.js';

export type ProbeResult =
  | { ok_: true; pipe_: Transport; adopt_(handlers: TransportHandlers): void }
  | { ok_: false; reason_: string };

/** The probe's round trip: the server answers a `ping` before `hello` with a `pong`. */
const PROBE_PING = '{"t":"ping","id":0}';

/**
 * Tries a better transport beside the working one: opens a pipe and checks that a ping before the
 * handshake comes back as a pong within `timeout`. A pipe that passes is handed over, still without a
 * session, for the client to move its session onto (`adopt` redirects the pipe's events); one that
 * fails is closed. This catches the proxy that accepts a WebSocket upgrade and then passes nothing,
 * without ever disturbing the session. `done` is called once (not after the returned cancel).
 */
export function probeTransport(
  definition: TransportDefinition,
  context: Omit<TransportContext, 'handlers'>,
  clock: Clock,
  timeout: number,
  done: (result: ProbeResult) => void,
): () => void {
  let pipe: Transport | undefined;
  let settled = false;
  const stop = (): boolean => {
    if (settled) return false;
    settled = true;
    clock.clearTimeout(timer);
    return true;
  };
  const fail = (reason: string): void => {
    if (!stop()) return;
    pipe?.close();
    done({ ok_: false, reason_: reason });
  };
  // The pipe's events come here until the client adopts it and takes them over.
  let target: TransportHandlers = {
    open: () => pipe?.send(PROBE_PING),
    frame: (text) => isPong(text) && stop() && done({ ok_: true, pipe_: pipe!, adopt_: (handlers) => (target = handlers) }),
    close: (code, reason) => fail(`closed (${code}) ${reason}`),
  };
  const timer = clock.setTimeout(() => fail(`no pong within ${timeout} ms`), timeout);
  try {
    pipe = definition.create({
      ...context,
      handlers: { open: () => target.open(), frame: (text) => target.frame(text), close: (code, reason) => target.close(code, reason) },
    });
  } catch (error) {
    fail(`unavailable: ${(error as Error).message}`);
  }
  return () => void (stop() && pipe?.close());
}

function isPong(text: string): boolean {
  try {
    const frame = JSON.parse(text) as { t?: unknown; id?: unknown };
    return frame.t === 'pong' && frame.id === 0;
  } catch {
    return false;
  }
}
