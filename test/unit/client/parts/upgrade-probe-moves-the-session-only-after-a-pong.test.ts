import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ProbeInfo, UpgradeOptions } from '../../../../src/client/client-types.js';
import { systemClock } from '../../../../src/client/clock.js';
import { namedTimers } from '../../../../src/client/timers.js';
import type { Transport, TransportDefinition, TransportHandlers } from '../../../../src/client/transports/transport.js';
import { websocket } from '../../../../src/client/transports/websocket.js';
import { type ProbeHost, upgradeProbe } from '../../../../src/client/upgrade-probe.js';

interface Candidate {
  handlers: TransportHandlers;
  sent: string[];
  closed: boolean;
  pipe: Transport;
}

/** A probe on a host that is open on SSE and prefers `preferred`; candidates are fake pipes the test answers for. */
function setup(upgrade?: UpgradeOptions | false, preferred: TransportDefinition = websocket) {
  const candidates: Candidate[] = [];
  const failures: ProbeInfo[] = [];
  const switched: Transport[] = [];
  const session = {
    transport: 'sse' as string,
    open: true,
    current: null as Transport | null,
    frames: [] as string[],
    closes: [] as number[],
  };
  const host: ProbeHost = {
    preferred_: preferred,
    upgrade_: upgrade,
    timeout_: 5000,
    random_: () => 1,
    timers_: namedTimers<'probe'>(systemClock),
    transport_: () => session.transport as never,
    open_: () => session.open,
    create_(_definition, handlers) {
      const candidate: Candidate = {
        handlers,
        sent: [],
        closed: false,
        pipe: { send: (text) => void candidate.sent.push(text), close: () => void (candidate.closed = true) },
      };
      candidates.push(candidate);
      return candidate.pipe;
    },
    handlers_: () => ({
      open() {},
      frame: (text) => void session.frames.push(text),
      close: (code) => void session.closes.push(code),
    }),
    isCurrent_: (pipe) => pipe === session.current,
    switchTo_(_definition, pipe) {
      session.current = pipe;
      session.transport = 'websocket';
      switched.push(pipe);
    },
    probeFailed_: (info) => void failures.push(info),
  };
  return { probe: upgradeProbe(host), candidates, failures, switched, session };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('upgrade probe', () => {
  it('on a fallback, opens a pipe of the preferred transport after the delay, pings it, and moves the session only once it pongs', () => {
    const { probe, candidates, switched } = setup({ min: 1000 });
    probe.opened_();
    vi.advanceTimersByTime(999);
    expect(candidates).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(candidates).toHaveLength(1);
    candidates[0]!.handlers.open();
    expect(candidates[0]!.sent).toEqual(['{"t":"ping","id":0}']);
    candidates[0]!.handlers.frame('{"t":"pong","id":7}'); // someone else's pong
    expect(switched).toEqual([]);
    candidates[0]!.handlers.frame('{"t":"pong","id":0}');
    expect(switched).toEqual([candidates[0]!.pipe]);
    expect(candidates[0]!.closed).toBe(false);
  });

  it('a pipe that passes nothing fails the probe at the timeout: closed, reported, and the next probe waits twice as long', () => {
    const { probe, candidates, failures, switched } = setup({ min: 1000, timeout: 300 });
    probe.opened_();
    vi.advanceTimersByTime(1000);
    candidates[0]!.handlers.open();
    vi.advanceTimersByTime(300);
    expect(candidates[0]!.closed).toBe(true);
    expect(failures).toEqual([{ transport: 'websocket', reason: 'no pong within 300 ms', next: 2000 }]);
    vi.advanceTimersByTime(2000);
    expect(candidates).toHaveLength(2);
    candidates[1]!.handlers.close(1006, 'refused');
    expect(failures[1]).toEqual({ transport: 'websocket', reason: 'closed (1006) refused', next: 4000 });
    expect(switched).toEqual([]);
  });

  it('stop_ ends the probe under way and closes its pipe; a pong after that moves nothing', () => {
    const { probe, candidates, switched, failures } = setup({ min: 1000 });
    probe.opened_();
    vi.advanceTimersByTime(1000);
    probe.stop_();
    expect(candidates[0]!.closed).toBe(true);
    candidates[0]!.handlers.frame('{"t":"pong","id":0}');
    expect(switched).toEqual([]);
    expect(failures).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('probes nothing on the preferred transport, with upgrade: false, or when the preferred transport cannot be probed', () => {
    const onPreferred = setup();
    onPreferred.session.transport = 'websocket';
    onPreferred.probe.opened_();
    const disabled = setup(false);
    disabled.probe.opened_();
    const notProbeable = setup(undefined, { ...websocket, probeable: false });
    notProbeable.probe.opened_();
    vi.advanceTimersByTime(3_600_000);
    expect([onPreferred.candidates, disabled.candidates, notProbeable.candidates]).toEqual([[], [], []]);
  });

  it('a pipe the session adopted hands its frames and its close to the session', () => {
    const { probe, candidates, session, failures } = setup({ min: 1000 });
    probe.opened_();
    vi.advanceTimersByTime(1000);
    candidates[0]!.handlers.frame('{"t":"pong","id":0}');
    expect(session.current).toBe(candidates[0]!.pipe);
    candidates[0]!.handlers.frame('{"t":"welcome"}');
    candidates[0]!.handlers.close(1006, 'gone');
    expect(session.frames).toEqual(['{"t":"welcome"}']);
    expect(session.closes).toEqual([1006]);
    expect(failures).toEqual([]);
  });
});
