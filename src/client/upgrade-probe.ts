import type { Clock } from './clock.js';
import type { Transport, TransportContext, TransportDefinition, TransportHandlers } from './transports/transport.js';

export type ProbeResult =
  | { ok: true; pipe: Transport; adopt(handlers: TransportHandlers): void }
  | { ok: false; reason: string };

/** The probe's round trip: the server answers a `ping` before `hello` with a `pong`. */
const PROBE_PING = '{"t":"ping","id":0}';

/**
 * Tries a better transport beside the working one: opens a pipe and checks that a ping before the
 * handshake comes back as a pong within `timeout`. A pipe that passes is handed over, still without a
 * session, for the client to move its session onto (`adopt` redirects the pipe's events); one that
 * fails is closed. This catches the proxy that accepts a WebSocket upgrade and then passes nothing,
 * without ever disturbing the session.
 */
export class UpgradeProbe {
  private pipe: Transport | null = null;
  private timer: unknown;
  private settled = false;

  constructor(
    private readonly definition: TransportDefinition,
    private readonly context: Omit<TransportContext, 'handlers'>,
    private readonly clock: Clock,
    private readonly timeout: number,
    private readonly done: (result: ProbeResult) => void,
  ) {}

  start(): void {
    let target: TransportHandlers = {
      open: () => this.pipe?.send(PROBE_PING),
      frame: (text) => {
        if (isPong(text)) this.finish({ ok: true, pipe: this.pipe!, adopt: (handlers) => (target = handlers) });
      },
      close: (code, reason) => this.fail(`closed before the probe's pong (${code}${reason ? `: ${reason}` : ''})`),
    };
    const handlers: TransportHandlers = {
      open: () => target.open(),
      frame: (text) => target.frame(text),
      close: (code, reason) => target.close(code, reason),
    };
    this.timer = this.clock.setTimeout(() => this.fail(`no pong within ${this.timeout} ms`), this.timeout);
    try {
      this.pipe = this.definition.create({ ...this.context, handlers });
    } catch (error) {
      this.fail(`unavailable: ${(error as Error).message}`);
    }
  }

  cancel(): void {
    if (this.settled) return;
    this.settled = true;
    this.clock.clearTimeout(this.timer);
    this.pipe?.close();
  }

  private fail(reason: string): void {
    if (this.settled) return;
    this.pipe?.close();
    this.finish({ ok: false, reason });
  }

  private finish(result: ProbeResult): void {
    if (this.settled) return;
    this.settled = true;
    this.clock.clearTimeout(this.timer);
    this.done(result);
  }
}

function isPong(text: string): boolean {
  try {
    const frame = JSON.parse(text) as { t?: unknown; id?: unknown };
    return frame.t === 'pong' && frame.id === 0;
  } catch {
    return false;
  }
}
