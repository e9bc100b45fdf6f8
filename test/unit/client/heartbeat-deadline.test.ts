import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ClientState, ReconnectInfo } from '../../../src/client/index.js';
import { advance, record, settle, track, useMockServer } from '../fakes/index.js';

const mock = useMockServer();
/** Heartbeat 1 s, default grace = half of it: dead after 1.5 s of silence. */
const HB = 1000;
const reconnect = { min: 10_000, max: 10_000 };
const half = (): number => 0.5;

/** Moves the wall clock without firing timers: what a background tab or a sleeping laptop sees. */
function sleepWithoutTimers(ms: number): void {
  vi.setSystemTime(Date.now() + ms);
}

function setVisibility(state: 'visible' | 'hidden'): void {
  Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
  document.dispatchEvent(new Event('visibilitychange'));
}

afterEach(() => {
  delete (document as { visibilityState?: string }).visibilityState; // back to happy-dom's own
});

describe('heartbeat deadline: silence past interval + grace means the connection is dead', () => {
  it('declares the connection dead at interval + grace without traffic and starts a reconnect', async () => {
    const client = await mock.open({ reconnect, random: half }, { hb: HB });
    const reconnecting = record<ReconnectInfo>((l) => client.on('reconnecting', l));
    const connection = mock.last;

    await advance(1500);
    expect(client.state).toBe('open');
    await advance(1);
    expect(client.state).toBe('reconnecting');
    expect(reconnecting).toEqual([{ attempt: 1, delay: 5000, code: 4001, reason: expect.stringContaining('heartbeat') }]);
    expect(connection.closedByClient).not.toBeNull();

    await advance(5000);
    expect(mock.connections).toHaveLength(2);
    expect(mock.last.frames[0]).toMatchObject({ t: 'hello', sid: 'sid-1' });
  });

  it('moves the deadline with any server traffic (here a ping every interval)', async () => {
    const client = await mock.open({ reconnect, random: half }, { hb: HB });
    for (let beat = 0; beat < 5; beat++) {
      await advance(HB);
      mock.last.send({ t: 'ping' });
    }
    await advance(1500);
    expect(client.state).toBe('open');
    await advance(1);
    expect(client.state).toBe('reconnecting');
  });

  it('counts any server frame as traffic, not only pings (here an ack)', async () => {
    const client = await mock.open({ reconnect, random: half }, { hb: HB });
    await advance(1400);
    mock.last.send({ t: 'ack', s: 0 });
    await advance(1400);
    expect(client.state).toBe('open');
    await advance(101);
    expect(client.state).toBe('reconnecting');
  });

  it('honours the heartbeatGrace option', async () => {
    const client = await mock.open({ reconnect, random: half, heartbeatGrace: 200 }, { hb: HB });
    await advance(1200);
    expect(client.state).toBe('open');
    await advance(1);
    expect(client.state).toBe('reconnecting');
  });

  it('answers a server ping with pong {n} carrying the reliable frames received', async () => {
    const client = await mock.open({}, { hb: HB });
    client.subscribe('news', () => {});
    mock.last.send({ t: 'subd', ch: 'news', e: 'E', q: 0, h: 0, st: 'new' });
    mock.last.send({ t: 'm', ch: 'news', e: 'E', q: 1, d: 'a' });
    mock.last.send({ t: 'ack', s: 1 }); // control frames are not counted
    mock.last.send({ t: 'ping' });
    await settle();
    expect(mock.last.sent('pong')).toEqual([{ t: 'pong', n: 2 }]);
    // The pong doubled as the receipt: no separate ack follows.
    await advance(2000);
    mock.last.send({ t: 'ping' });
    await settle();
    expect(mock.last.sent('ack')).toEqual([]);
  });
});

describe('the deadline is also checked where throttled timers would miss it', () => {
  it('on send: a publish after a long timer-less pause finds the connection dead and waits for the next one', async () => {
    const client = await mock.open({ reconnect, random: half }, { hb: HB });
    const dead = mock.last;
    sleepWithoutTimers(5000);

    const published = client.publish('news', 'hello');
    expect(client.state).toBe('reconnecting');
    await settle();
    expect(dead.sent('pub')).toEqual([]);
    expect(dead.closedByClient?.code).toBeDefined();

    await advance(5000);
    mock.last.welcome({ resumed: true, hb: HB });
    await settle();
    expect(mock.last.sent('pub')).toEqual([{ t: 'pub', s: 1, ch: 'news', d: 'hello' }]);
    mock.last.send({ t: 'ack', s: 1 });
    await expect(published).resolves.toBeUndefined();
  });

  it('on send within the deadline: the frame goes out on the live connection', async () => {
    const client = await mock.open({ reconnect, random: half }, { hb: HB });
    sleepWithoutTimers(1500);
    track(client.publish('news', 'hello'));
    await settle();
    expect(client.state).toBe('open');
    expect(mock.last.sent('pub')).toHaveLength(1);
  });

  it('on visibilitychange: a tab coming back after the deadline reconnects at once', async () => {
    const client = await mock.open({ reconnect, random: half }, { hb: HB });
    setVisibility('hidden');
    sleepWithoutTimers(60_000);
    expect(client.state).toBe('open');
    setVisibility('visible');
    expect(client.state).toBe('reconnecting');
    await settle();
    expect(mock.connections).toHaveLength(2);
  });

  it('on online: a laptop waking up finds the dead connection', async () => {
    const client = await mock.open({ reconnect, random: half }, { hb: HB });
    sleepWithoutTimers(60_000);
    window.dispatchEvent(new Event('online'));
    expect(client.state).toBe('reconnecting');
  });

  it('a wake event within the deadline leaves a healthy connection alone', async () => {
    const client = await mock.open({ reconnect, random: half }, { hb: HB });
    const states = record<ClientState>((l) => client.on('state', l));
    sleepWithoutTimers(1000);
    setVisibility('visible');
    window.dispatchEvent(new Event('online'));
    window.dispatchEvent(new Event('pageshow'));
    expect(states).toEqual([]);
    expect(mock.connections).toHaveLength(1);
  });
});

describe('client ping()', () => {
  it('ping() measures the round trip and fails when the connection is lost', async () => {
    const client = await mock.open({ reconnect, random: half }, { hb: HB });
    const rtt = track(client.ping());
    await advance(40);
    const [ping] = mock.last.sent('ping');
    expect(ping).toEqual({ t: 'ping', id: 1 });
    mock.last.send({ t: 'pong', id: 1 });
    await settle();
    expect(rtt).toEqual({ status: 'resolved', value: 40 });

    const lost = track(client.ping());
    mock.last.close(1006);
    await settle();
    expect(lost.error).toMatchObject({ code: 'closed' });
    await expect(client.ping()).rejects.toMatchObject({ code: 'closed' });
  });
});
