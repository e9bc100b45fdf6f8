import type { HelloFrame, TransportName } from '../protocol/frames.js';
import { PROTOCOL_VERSION } from '../protocol/version.js';
import type { ClientOptions } from './client-types.js';
import type { Clock } from './clock.js';
import type { OutboxEntry } from './outbox.js';
import type { NamedTimers } from './timers.js';
import type { TransportDefinition } from './transports/transport.js';

/** A transport that states no connect timeout gets this one, ms. */
export const DEFAULT_CONNECT_TIMEOUT = 10_000;

/** What a resume hello names: the session, its secret, and how many reliable frames we received. */
export interface ResumeTicket {
  sid: string;
  secret: string;
  rx: number;
}

/**
 * A connection attempt up to the server's welcome: its time bounds (the connect timeout, then the
 * health check once the hello is out), the credentials, and the hello itself.
 */
export interface Handshake {
  /** Queued frames up to this sequence number went out behind the current pipe's hello (see hello_). */
  readonly pipelined_: number;
  /** An attempt on `definition` starts: it must reach the welcome within its connect timeout. */
  begin_(definition: TransportDefinition, what: 'connect' | 'upgrade'): void;
  /**
   * The `auth` option's value, or a fresh result of its function. Calls made while one is still running
   * share it, so two connection attempts (e.g. a fallback and an upgrade probe) never refresh a token twice.
   */
  credentials_(): Promise<unknown>;
  /**
   * The message that opens a session on an open pipe: the hello (resuming `resume` if given), followed by
   * the leading `sub` frames of `queued` when given. From now the welcome must come within the health check.
   */
  hello_(
    transport: TransportName,
    auth: unknown,
    resume: ResumeTicket | null,
    queued: readonly OutboxEntry[] | null,
    maxPayload: number,
  ): string;
  /** The welcome came: the attempt's timer stops. */
  done_(): void;
}

/**
 * `welcomeTimeout`: once a transport is open, the server's welcome must come within this, ms (the
 * health check). `expired` is called when the attempt ran out of time: it failed (the session falls back).
 */
export function handshake(
  options: Pick<ClientOptions, 'auth' | 'connectTimeout'>,
  welcomeTimeout: number,
  clock: Clock,
  timers: NamedTimers<'connect'>,
  expired: (reason: string) => void,
): Handshake {
  /** When the current attempt's connect timeout expires (clock time). */
  let connectDeadline = 0;
  let pipelined = 0;
  /** The auth function's call under way, shared by concurrent attempts. */
  let authInFlight: Promise<unknown> | undefined;

  /** Fails the attempt on `transport` (it falls back) unless the welcome comes within `timeout`. */
  function arm(transport: TransportName, what: string, timeout: number): void {
    timers.set_('connect', timeout, () => expired(`${transport}: no welcome within ${timeout} ms (${what})`));
  }

  function resetAuth(): void {
    authInFlight = undefined;
  }

  return {
    get pipelined_() {
      return pipelined;
    },
    begin_(definition, what) {
      const option = options.connectTimeout;
      const timeout =
        (typeof option === 'number' ? option : option?.[definition.name]) ?? definition.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT;
      connectDeadline = clock.now() + timeout;
      arm(definition.name, `${what} timeout`, timeout);
    },
    credentials_() {
      const auth = options.auth;
      if (typeof auth !== 'function') return Promise.resolve(auth);
      authInFlight ??= Promise.resolve()
        .then(auth as () => unknown)
        .finally(resetAuth);
      return authInFlight;
    },
    hello_(transport, auth, resume, queued, maxPayload) {
      // (An undefined field, e.g. no auth, is left out by JSON.stringify.)
      const hello: HelloFrame = { t: 'hello', v: PROTOCOL_VERSION, auth, ...resume };
      // The health check starts after the auth callback, so a slow token fetch is not blamed on the
      // transport. One timer for both bounds: whichever comes first (the connect timeout may be closer).
      if (clock.now() + welcomeTimeout < connectDeadline) arm(transport, 'health check', welcomeTimeout);
      let text = JSON.stringify(hello);
      // Before the first session, queued subscriptions follow the hello at once instead of a round trip
      // later, after the welcome: the new session numbers frames from 1 like the outbox, and the welcome
      // keeps that numbering. Only the leading `sub` frames: one handled by a session whose welcome never
      // arrives is harmless, where a publish would be handled twice. They go in the hello's own message
      // (frames separated by `\n`): one write, one request over HTTP, while the batch surely fits the max
      // payload (a UTF-16 unit is at most 3 bytes of UTF-8).
      pipelined = 0;
      for (const entry of queued ?? []) {
        // The server holds at most 256 frames before the welcome.
        if (entry.body_.t !== 'sub' || entry.s > 128 || (text.length + entry.text_.length) * 3 >= maxPayload) break;
        text += '\n' + entry.text_;
        pipelined = entry.s;
      }
      return text;
    },
    done_() {
      timers.clear_('connect');
    },
  };
}
