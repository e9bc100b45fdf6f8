import { CONNECTION_HEADER, SEND_PATH } from '../../protocol/http.js';
import { httpRequest } from './http-request.js';
import { utf8Length } from '../utf8.js';

/** Most bytes of frames waiting to be POSTed; past it the pipe fails (the session resends after resuming). */
const MAX_QUEUED_BYTES = 4 << 20;
/**
 * Longest a POST may take. The server answers as soon as it has read the frames, so a POST that hangs
 * is on a dead (half-open) connection; the stream down may be fine and keep the heartbeat deadline
 * fresh, so without this bound nothing would notice: the frames and receipts in it would never arrive
 * (the chaos suite's silent connections made sessions overflow this way).
 */
export const UPSTREAM_TIMEOUT = 10_000;

export interface HttpUpstream {
  /** Aborted when the upstream stops: the connection's other requests (its downstream) use it too. */
  readonly signal_: AbortSignal;
  /** The connection is open: its token and the server's body limit are known. */
  ready_(token: string, maxBody: number): void;
  push_(text: string): void;
  /** Drops everything and aborts the POST in flight (and whatever else uses `signal_`). */
  stop_(): void;
  /**
   * The pipe closes: sends what is queued (if the connection ever opened), then stops and calls `done`;
   * failures go unreported.
   */
  finish_(done?: () => void): void;
}

/**
 * Client frames of an HTTP connection (SSE or long-polling) going up in POSTs to `{base}/send`: at
 * most one POST in flight; frames sent meanwhile wait and go together in the next one, newline-
 * separated, in order, each POST at most the server's max body. A failed POST fails the pipe (`fail`,
 * once; the upstream stops): the session layer resumes on a new connection and resends whatever the
 * server has not acknowledged.
 */
export function httpUpstream(url: string, fail: (reason: string) => void): HttpUpstream {
  let queue: string[] = [];
  let sizes: number[] = [];
  let queuedBytes = 0;
  let token = '';
  let maxBody = 65_536;
  let inFlight = false;
  let stopped = false;
  /** Closing: no new frames, what is queued still goes (a `bye` right before close must arrive). */
  let finishing = false;
  const abort = new AbortController();
  let done = (): void => {};

  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    queue = [];
    sizes = [];
    abort.abort();
    done();
  };
  /** Fails the pipe, unless it stopped or is closing meanwhile (then failures go unreported). */
  const failNow = (reason: string): void => {
    if (stopped || finishing) return;
    stop();
    fail(reason);
  };

  const pump = async (): Promise<void> => {
    if (inFlight || stopped || token === '') return;
    if (queue.length === 0) {
      if (finishing) stop();
      return;
    }
    // One frame always goes (the session layer never makes one over the max payload), then as many
    // more as fit, counting the newline before each.
    let count = 1;
    let bytes = sizes[0]!;
    while (count < queue.length && bytes + 1 + sizes[count]! <= maxBody) {
      bytes += 1 + sizes[count]!;
      count++;
    }
    const body = queue.splice(0, count).join('\n');
    sizes.splice(0, count);
    queuedBytes -= bytes - (count - 1);
    inFlight = true;
    const timer = setTimeout(() => failNow(`POST ${SEND_PATH} not answered within ${UPSTREAM_TIMEOUT} ms`), UPSTREAM_TIMEOUT);
    try {
      const res = await httpRequest(url, SEND_PATH, {
        method: 'POST',
        headers: { [CONNECTION_HEADER]: token },
        body,
        signal: abort.signal,
      });
      if (!res.ok) return failNow(`POST ${SEND_PATH} answered ${res.status}: ${(await res.text().catch(() => '')).slice(0, 200)}`);
    } catch (error) {
      return failNow(`POST ${SEND_PATH} failed: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
      inFlight = false;
    }
    void pump();
  };

  return {
    ready_(connectionToken, serverMaxBody) {
      token = connectionToken;
      if (Number.isSafeInteger(serverMaxBody) && serverMaxBody > 0) maxBody = serverMaxBody;
      void pump();
    },
    push_(text) {
      if (stopped || finishing) return;
      const bytes = utf8Length(text);
      queuedBytes += bytes;
      if (queuedBytes > MAX_QUEUED_BYTES) return failNow(`upstream queue over ${MAX_QUEUED_BYTES} bytes`);
      queue.push(text);
      sizes.push(bytes);
      void pump();
    },
    signal_: abort.signal,
    stop_: stop,
    finish_(then = () => {}) {
      finishing = true;
      done = then;
      if (token === '' || (queue.length === 0 && !inFlight)) stop();
      else void pump();
    },
  };
}
