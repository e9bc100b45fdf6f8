import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../../../src/client/clock.js';
import type { ClientOptions } from '../../../../src/client/client-types.js';
import { handshake } from '../../../../src/client/handshake.js';
import { createOutbox } from '../../../../src/client/outbox.js';
import { namedTimers } from '../../../../src/client/timers.js';
import { sse } from '../../../../src/client/transports/sse.js';
import { websocket } from '../../../../src/client/transports/websocket.js';

function setup(options: Pick<ClientOptions, 'auth' | 'connectTimeout'> = {}, welcomeTimeout = 5000) {
  const expired: string[] = [];
  const attempt = handshake(options, welcomeTimeout, systemClock, namedTimers<'connect'>(systemClock), (reason) => expired.push(reason));
  return { attempt, expired };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('handshake: time bounds', () => {
  it("an attempt gets its transport's own connect timeout (WebSocket 4 s, SSE 10 s) unless the option says otherwise", () => {
    const { attempt, expired } = setup();
    attempt.begin_(websocket, 'connect');
    vi.advanceTimersByTime(3999);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(expired).toEqual(['websocket: no welcome within 4000 ms (connect timeout)']);
    attempt.begin_(sse, 'upgrade');
    vi.advanceTimersByTime(10_000);
    expect(expired[1]).toBe('sse: no welcome within 10000 ms (upgrade timeout)');

    const perTransport = setup({ connectTimeout: { sse: 50 } });
    perTransport.attempt.begin_(sse, 'connect');
    perTransport.attempt.begin_(websocket, 'connect'); // replaces the attempt: its own default applies
    vi.advanceTimersByTime(3999);
    expect(perTransport.expired).toEqual([]);
    const one = setup({ connectTimeout: 20 });
    one.attempt.begin_(websocket, 'connect');
    vi.advanceTimersByTime(20);
    expect(one.expired).toEqual(['websocket: no welcome within 20 ms (connect timeout)']);
  });

  it('once the hello is out, the welcome must come within the health check if that ends first; done_ stops the clock', () => {
    const { attempt, expired } = setup({}, 1000);
    attempt.begin_(sse, 'connect');
    vi.advanceTimersByTime(500);
    attempt.hello_('sse', undefined, null, null, 65_536);
    vi.advanceTimersByTime(1000);
    expect(expired).toEqual(['sse: no welcome within 1000 ms (health check)']);

    const late = setup({}, 1000);
    late.attempt.begin_(websocket, 'connect');
    vi.advanceTimersByTime(3500); // the connect timeout is closer than the health check would be
    late.attempt.hello_('websocket', undefined, null, null, 65_536);
    vi.advanceTimersByTime(500);
    expect(late.expired).toEqual(['websocket: no welcome within 4000 ms (connect timeout)']);

    const done = setup();
    done.attempt.begin_(websocket, 'connect');
    done.attempt.done_();
    vi.advanceTimersByTime(60_000);
    expect(done.expired).toEqual([]);
  });
});

describe('handshake: credentials', () => {
  it('an auth function is called per attempt, and attempts made while a call runs share it', async () => {
    let calls = 0;
    const { attempt } = setup({ auth: () => Promise.resolve({ token: ++calls }) });
    const [a, b] = await Promise.all([attempt.credentials_(), attempt.credentials_()]);
    expect(a).toEqual({ token: 1 });
    expect(b).toBe(a);
    expect(await attempt.credentials_()).toEqual({ token: 2 });
    expect(await setup({ auth: { token: 'fixed' } }).attempt.credentials_()).toEqual({ token: 'fixed' });
  });
});

describe('handshake: the hello', () => {
  it('resumes with sid, secret and rx when given; leaves auth out when there is none', () => {
    const { attempt } = setup();
    attempt.begin_(websocket, 'connect');
    expect(JSON.parse(attempt.hello_('websocket', undefined, null, null, 65_536))).toEqual({ t: 'hello', v: 1 });
    expect(JSON.parse(attempt.hello_('websocket', { token: 't' }, { sid: 's1', secret: 'x', rx: 7 }, null, 65_536))).toEqual({
      t: 'hello',
      v: 1,
      auth: { token: 't' },
      sid: 's1',
      secret: 'x',
      rx: 7,
    });
  });

  it('the leading sub frames of the queue follow the hello in the same message, up to the first other frame', () => {
    const { attempt } = setup();
    const outbox = createOutbox(10, 1 << 20);
    outbox.add_({ t: 'sub', ch: 'a' }, 65_536);
    outbox.add_({ t: 'sub', ch: 'b' }, 65_536);
    outbox.add_({ t: 'pub', ch: 'a', d: 1 }, 65_536);
    outbox.add_({ t: 'sub', ch: 'c' }, 65_536);
    attempt.begin_(websocket, 'connect');
    const lines = attempt.hello_('websocket', undefined, null, outbox.entries_, 65_536).split('\n');
    expect(lines.map((line) => (JSON.parse(line) as { t: string; ch?: string }).ch ?? 'hello')).toEqual(['hello', 'a', 'b']);
    expect(attempt.pipelined_).toBe(2);
    // A small max payload: nothing follows.
    attempt.hello_('websocket', undefined, null, outbox.entries_, 60);
    expect(attempt.pipelined_).toBe(0);
  });
});
