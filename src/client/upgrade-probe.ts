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
  private pipe_: Transport | null = null;
  private timer_: unknown;
  private settled_ = false;

  constructor(
    private readonly definition_: TransportDefinition,
    private readonly context_: Omit<TransportContext, 'handlers'>,
    private readonly clock_: Clock,
    private readonly timeout_: number,
    private readonly done_: (result: ProbeResult) => void,
  ) {}

  start_(): void {
    let target: TransportHandlers = {
      open: () => this.pipe_?.send(PROBE_PING),
      frame: (text) => {
        if (isPong(text)) this.finish_({ ok: true, pipe: this.pipe_!, adopt: (handlers) => (target = handlers) });
      },
      close: (code, reason) => this.fail_(`closed (${code}) ${reason}`),
    };
    const handlers: TransportHandlers = {
      open: () => target.open(),
      frame: (text) => target.frame(text),
      close: (code, reason) => target.close(code, reason),
    };
    this.timer_ = this.clock_.setTimeout(() => this.fail_(`no pong within ${this.timeout_} ms`), this.timeout_);
    try {
      this.pipe_ = this.definition_.create({ ...this.context_, handlers });
    } catch (error) {
      this.fail_(`unavailable: ${(error as Error).message}`);
    }
  }

  cancel_(): void {
    if (this.settled_) return;
    this.settled_ = true;
    this.clock_.clearTimeout(this.timer_);
    this.pipe_?.close();
  }

  private fail_(reason: string): void {
    if (this.settled_) return;
    this.pipe_?.close();
    this.finish_({ ok: false, reason });
  }

  private finish_(result: ProbeResult): void {
    if (this.settled_) return;
    this.settled_ = true;
    this.clock_.clearTimeout(this.timer_);
    this.done_(result);
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
