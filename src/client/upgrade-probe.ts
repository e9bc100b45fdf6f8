import type { TransportName } from '../protocol/frames.js';
import type { ProbeInfo, UpgradeOptions } from './client-types.js';
import type { NamedTimers } from './timers.js';
import type { Transport, TransportDefinition, TransportHandlers } from './transports/transport.js';

/**
 * While the session runs on a fallback, tries the preferred transport in the background and, when it
 * works, has the session move onto it. An optional part of the client (PushwireClient has it; a
 * client made without it stays on whatever transport works).
 */
export interface UpgradeProbe {
  /** The session opened (or moved): schedules a probe if it is not on the preferred transport. */
  opened_(): void;
  /** Ends the probe under way, if any (the session lost its pipe or closed); a scheduled one waits for the next opened_. */
  stop_(): void;
}

/** What the probe needs from the session. */
export interface ProbeHost {
  /** The preferred transport (the first configured). */
  readonly preferred_: TransportDefinition;
  readonly upgrade_: UpgradeOptions | false | undefined;
  /** Time for the probe's round trip when `upgrade.timeout` does not say, ms. */
  readonly timeout_: number;
  readonly random_: () => number;
  readonly timers_: NamedTimers<'probe'>;
  /** The transport the session is on (null: closed). */
  transport_(): TransportName | null;
  /** True while the session is open on a welcomed pipe. */
  open_(): boolean;
  /** Opens a pipe of `definition` (may throw if it can't run here). */
  create_(definition: TransportDefinition, handlers: TransportHandlers): Transport;
  /** The session's own handlers for a pipe (they ignore it unless it is the session's current pipe). */
  handlers_(pipeOf: () => Transport | null): TransportHandlers;
  /** True if `pipe` is the session's current pipe. */
  isCurrent_(pipe: Transport): boolean;
  /** Moves the session onto `pipe`, a working pipe of `definition`. */
  switchTo_(definition: TransportDefinition, pipe: Transport): void;
  probeFailed_(info: ProbeInfo): void;
}

/** The probe's ping, sent before any hello: the server answers it with a `pong` (isPong). */
const PROBE_PING = '{"t":"ping","id":0}';

/** A `pong` answering the upgrade probe's ping. */
export function isPong(text: string): boolean {
  try {
    const frame = JSON.parse(text) as { t?: unknown; id?: unknown };
    return frame.t === 'pong' && frame.id === 0;
  } catch {
    return false;
  }
}

/**
 * The upgrade probe: opens a pipe of the preferred transport beside the working one and checks that a
 * ping before the handshake comes back as a pong within the timeout. A pipe that passes gets the
 * session moved onto it (the host's switchTo_); one that fails is closed, and the next probe is
 * scheduled later, the delay doubling (with jitter) up to `upgrade.max`. This catches the proxy that
 * accepts a WebSocket upgrade and then passes nothing, without ever disturbing the session. Only a
 * transport that says it can be probed (`probeable`) is.
 */
export function upgradeProbe(host: ProbeHost): UpgradeProbe {
  const { preferred_: target, upgrade_: upgrade, timers_: timers } = host;
  /** Failed probes so far: each doubles the delay before the next. */
  let failures = 0;
  /** The probe under way: its candidate pipe (undefined until created), or null when none is. */
  let running: { candidate_?: Transport } | null = null;

  function schedule(): number {
    if (upgrade === false || !target.probeable || host.transport_() === target.name || running || timers.has_('probe')) return 0;
    const { min = 10_000, max = 300_000 } = upgrade ?? {};
    const cap = Math.min(max, min * 2 ** failures);
    const delay = cap / 2 + (host.random_() * cap) / 2;
    timers.set_('probe', delay, start);
    return delay;
  }

  /** Ends `probe` if it is still the one under way (its timer too); false if it ended already. */
  function end(probe: object): boolean {
    if (running !== probe) return false;
    running = null;
    timers.clear_('probe');
    return true;
  }

  function start(): void {
    if (!host.open_()) return;
    const timeout = (upgrade || {}).timeout ?? host.timeout_;
    const probe: { candidate_?: Transport } = {};
    running = probe;
    const fail = (reason: string): void => {
      if (!end(probe)) return;
      probe.candidate_?.close();
      failures++;
      host.probeFailed_({ transport: target.name, reason, next: schedule() });
    };
    // The pipe's events are the probe's until the session moves onto it (switchTo_), then the session's.
    const sessionHandlers = host.handlers_(() => probe.candidate_ ?? null);
    const adopted = (): boolean => probe.candidate_ !== undefined && host.isCurrent_(probe.candidate_);
    timers.set_('probe', timeout, () => fail(`no pong within ${timeout} ms`));
    try {
      probe.candidate_ = host.create_(target, {
        open: () => probe.candidate_?.send(PROBE_PING),
        frame(text) {
          if (adopted()) sessionHandlers.frame(text);
          else if (isPong(text) && end(probe)) host.switchTo_(target, probe.candidate_!);
        },
        close(code, reason) {
          if (adopted()) sessionHandlers.close(code, reason);
          else fail(`closed (${code}) ${reason}`);
        },
      });
    } catch (error) {
      fail(`unavailable: ${(error as Error).message}`);
    }
  }

  return {
    opened_: () => void schedule(),
    stop_() {
      const probe = running;
      if (probe && end(probe)) probe.candidate_?.close();
    },
  };
}
