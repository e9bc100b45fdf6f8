import { isReliableType, type ServerFrame } from '../protocol/frames.js';
import type { Clock } from './clock.js';
import type { NamedTimers } from './timers.js';
import type { ReceiptPacing } from './transports/transport.js';

/** The timers liveness uses, among the session's. */
type LivenessTimer = 'deadline' | 'receipt';

/**
 * Whether the connection is alive, and what the server knows we received. Reliable server frames are
 * counted (`rx`) and receipted (an `ack` with the count) as the transport's pacing says; the server's
 * heartbeat sets a deadline past which a silent connection counts as dead.
 */
export interface Liveness {
  /** Reliable server frames received in this session (what a resume hello says we have). */
  readonly rx_: number;
  /** A welcome: the count starts from the server's `rx`, the deadline from its heartbeat interval `hb`. */
  welcomed_(rx: number, hb: number): void;
  /**
   * A server frame of type `t` arrived: the deadline moves; a reliable one counts toward the next
   * receipt, sent as `pacing` says. A channel message (`m`) starts no receipt timer: the server holds one
   * copy of it for all subscribers and asks with a `ping` once a session holds enough (PROTOCOL.md SC6).
   */
  heard_(t: ServerFrame['t'], pacing: ReceiptPacing): void;
  /** The text of the `pong` that answers a server `ping`; it receipts everything received so far. */
  pong_(): string;
  /** False if the server has been silent past its deadline; cheap, so call it often (on every send, on wake). */
  alive_(): boolean;
  /** One timer at the deadline; traffic meanwhile only moves the deadline, and the timer re-arms when it fires. */
  watch_(): void;
}

/**
 * `grace`: silence tolerated past the heartbeat interval, ms (default half the interval). `send` sends
 * a frame if the session is open on a pipe (false if there is none). `dead` is called when the deadline
 * passed: the connection is dead.
 */
export function liveness(
  clock: Clock,
  random: () => number,
  timers: NamedTimers<LivenessTimer>,
  grace: number | undefined,
  send: (text: string) => boolean,
  dead: () => void,
): Liveness {
  /** Reliable frames received, and how many of them the server has been told about. */
  let rx = 0;
  let receipted = 0;
  /** The server's heartbeat interval (from the welcome), ms. */
  let heartbeatInterval = 0;
  /** When the server was last heard from (clock time). */
  let lastHeard = 0;

  function deadline(): number {
    return lastHeard + heartbeatInterval + (grace ?? heartbeatInterval / 2);
  }

  function sendReceipt(): void {
    timers.clear_('receipt');
    if (rx === receipted) return;
    if (send(JSON.stringify({ t: 'ack', n: rx }))) receipted = rx;
  }

  function alive(): boolean {
    if (clock.now() <= deadline()) return true;
    dead();
    return false;
  }

  function watch(): void {
    timers.set_('deadline', Math.max(0, deadline() - clock.now()) + 1, () => {
      if (alive()) watch();
    });
  }

  return {
    get rx_() {
      return rx;
    },
    welcomed_(serverRx, hb) {
      rx = serverRx;
      receipted = serverRx;
      heartbeatInterval = hb;
    },
    heard_(t, { every, delay }) {
      lastHeard = clock.now();
      if (!isReliableType(t)) return;
      rx++;
      if (rx - receipted >= every) sendReceipt();
      // Jittered: a thousand clients' receipts should not all land in the same millisecond.
      else if (t !== 'm' && !timers.has_('receipt')) timers.set_('receipt', delay * (0.5 + random()), sendReceipt);
    },
    pong_() {
      receipted = rx;
      return JSON.stringify({ t: 'pong', n: rx });
    },
    alive_: alive,
    watch_: watch,
  };
}
