import { describe, expect, it, vi } from 'vitest';
import type { ClientState, CloseInfo, ReconnectInfo } from '../../../src/client/index.js';
import type { PushwireError } from '../../../src/client/errors.js';
import { connect, websocket } from '../../../src/client/index.js';
import { advance, record, settle, track, useMockServer } from '../fakes/index.js';

const mock = useMockServer();
/** random() = 0.5 and a 1 s first delay: the first reconnect waits exactly 500 ms. */
const reconnect = { min: 1000, max: 8000, factor: 2 };
const half = (): number => 0.5;

describe('client state machine: connecting → open → reconnecting → open … → closed', () => {
  it('starts connecting over WebSocket, sends hello and opens on the welcome', async () => {
    const client = mock.connect();
    const states = record<ClientState>((l) => client.on('state', l));
    const opens = record((l) => client.on('open', l));
    expect(client.state).toBe('connecting');
    expect(client.transport).toBe('websocket');

    await settle();
    expect(mock.connections).toHaveLength(1);
    expect(mock.last.frames).toEqual([{ t: 'hello', v: 1 }]);
    expect(client.state).toBe('connecting');

    mock.last.welcome();
    await settle();
    expect(client.state).toBe('open');
    expect(client.transport).toBe('websocket');
    expect(client.sessionId).toBe('sid-1');
    expect(states).toEqual(['open']);
    expect(opens).toEqual([{ resumed: false, moved: false, transport: 'websocket' }]);
  });

  it('goes reconnecting when an open connection drops, then opens again on the resumed session', async () => {
    const client = await mock.open({ reconnect, random: half });
    const states = record<ClientState>((l) => client.on('state', l));
    const reconnecting = record<ReconnectInfo>((l) => client.on('reconnecting', l));
    const opens = record((l) => client.on('open', l));

    mock.last.close(4000, 'server restart');
    await settle();
    expect(client.state).toBe('reconnecting');
    expect(reconnecting).toEqual([{ attempt: 1, delay: 500, code: 4000, reason: 'server restart' }]);

    await advance(500);
    expect(mock.connections).toHaveLength(2);
    expect(mock.last.frames[0]).toEqual({ t: 'hello', v: 1, sid: 'sid-1', secret: 'secret-1', rx: 0 });
    mock.last.welcome({ resumed: true });
    await settle();

    expect(client.state).toBe('open');
    expect(states).toEqual(['reconnecting', 'open']);
    expect(opens).toEqual([{ resumed: true, moved: false, transport: 'websocket' }]);
  });

  it('cycles open → reconnecting → open several times, emitting every change once', async () => {
    const client = await mock.open({ reconnect, random: half });
    const states = record<ClientState>((l) => client.on('state', l));
    for (let round = 0; round < 3; round++) {
      mock.last.close(1006);
      await advance(500);
      mock.last.welcome({ resumed: true });
      await settle();
    }
    expect(states).toEqual(['reconnecting', 'open', 'reconnecting', 'open', 'reconnecting', 'open']);
    expect(mock.connections).toHaveLength(4);
  });

  it('retries the first connect too, staying in "connecting" until the first welcome', async () => {
    const client = mock.connect({ reconnect, random: half });
    const states = record<ClientState>((l) => client.on('state', l));
    const reconnecting = record<ReconnectInfo>((l) => client.on('reconnecting', l));
    await settle();

    mock.last.close(1011, 'unavailable');
    await settle();
    expect(client.state).toBe('connecting');
    expect(reconnecting).toEqual([{ attempt: 1, delay: 500, code: 1011, reason: 'unavailable' }]);

    await advance(499);
    expect(mock.connections).toHaveLength(1);
    await advance(1);
    expect(mock.connections).toHaveLength(2);
    expect(mock.last.frames).toEqual([{ t: 'hello', v: 1 }]);

    mock.last.welcome();
    await settle();
    expect(client.state).toBe('open');
    expect(states).toEqual(['open']);
  });

  it('gives up on an attempt that gets no welcome within connectTimeout and tries again', async () => {
    const client = mock.connect({ reconnect, random: half, connectTimeout: 3000 });
    const reconnecting = record<ReconnectInfo>((l) => client.on('reconnecting', l));
    await settle();
    const silent = mock.last;

    await advance(2999);
    expect(reconnecting).toEqual([]);
    await advance(1);
    expect(silent.closedByClient).not.toBeNull();
    expect(reconnecting).toEqual([{ attempt: 1, delay: 500, code: 1006, reason: expect.stringContaining('connect timeout') }]);

    await advance(500);
    expect(mock.connections).toHaveLength(2);
    expect(client.state).toBe('connecting');
  });

  for (const code of [4100, 4103, 4199]) {
    it(`stops for good on fatal close code ${code}: close event, pending sends rejected, no reconnect`, async () => {
      const client = await mock.open({ reconnect, random: half });
      const closes = record<CloseInfo>((l) => client.on('close', l));
      const errors = record<PushwireError>((l) => client.on('error', l));
      const pending = track(client.publish('news', 'unacked'));
      await settle();

      mock.last.close(code, 'go away');
      await settle();

      expect(client.state).toBe('closed');
      expect(client.transport).toBeNull();
      expect(closes).toEqual([{ code, reason: 'go away' }]);
      expect(errors.map((e) => e.code)).toEqual(['closed']);
      expect(pending).toMatchObject({ status: 'rejected', error: { code: 'closed' } });
      expect(vi.getTimerCount()).toBe(0);
      await advance(60_000);
      expect(mock.connections).toHaveLength(1);
    });
  }

  it('stops on a fatal code carried by a close frame (as HTTP transports deliver it)', async () => {
    const client = await mock.open({ reconnect, random: half });
    const closes = record<CloseInfo>((l) => client.on('close', l));
    const connection = mock.last;
    connection.send({ t: 'close', code: 4100, reason: 'unsupported protocol version' });
    await settle();
    expect(client.state).toBe('closed');
    expect(closes).toEqual([{ code: 4100, reason: 'unsupported protocol version' }]);
    expect(connection.closedByClient).not.toBeNull();
    await advance(60_000);
    expect(mock.connections).toHaveLength(1);
  });

  it('stops on a 4200–4299 code when auth is a fixed value (the same credentials would be refused again)', async () => {
    const client = await mock.open({ reconnect, random: half, auth: 'token-1' });
    expect(mock.last.frames[0]).toEqual({ t: 'hello', v: 1, auth: 'token-1' });
    const closes = record<CloseInfo>((l) => client.on('close', l));
    mock.last.close(4200, 'token expired');
    await settle();
    expect(client.state).toBe('closed');
    expect(closes).toEqual([{ code: 4200, reason: 'token expired' }]);
    await advance(60_000);
    expect(mock.connections).toHaveLength(1);
  });

  it('reconnects on a 4200–4299 code when auth is a function, asking it for fresh credentials', async () => {
    let issued = 0;
    const auth = vi.fn(async () => `token-${++issued}`);
    const client = await mock.open({ reconnect, random: half, auth });
    expect(mock.last.frames[0]).toEqual({ t: 'hello', v: 1, auth: 'token-1' });

    mock.last.close(4299, 'token expired');
    await settle();
    expect(client.state).toBe('reconnecting');
    await advance(500);
    expect(mock.connections).toHaveLength(2);
    expect(mock.last.frames[0]).toEqual({ t: 'hello', v: 1, auth: 'token-2', sid: 'sid-1', secret: 'secret-1', rx: 0 });
    expect(auth).toHaveBeenCalledTimes(2);
  });

  it('retries with backoff when the auth function fails, without sending a hello', async () => {
    let calls = 0;
    const auth = async (): Promise<string> => {
      if (++calls === 1) throw new Error('token service down');
      return 'token';
    };
    const client = mock.connect({ reconnect, random: half, auth });
    const reconnecting = record<ReconnectInfo>((l) => client.on('reconnecting', l));
    await settle();
    expect(mock.connections[0]!.frames).toEqual([]);
    expect(reconnecting).toMatchObject([{ attempt: 1, code: 1006, reason: expect.stringContaining('token service down') }]);
    await advance(500);
    expect(mock.last.frames).toEqual([{ t: 'hello', v: 1, auth: 'token' }]);
    expect(client.state).toBe('connecting');
  });

  it('treats 4000–4099 and standard codes as transient', async () => {
    const client = await mock.open({ reconnect, random: half });
    for (const code of [1000, 1001, 1006, 4000, 4001, 4099]) {
      mock.last.close(code);
      await settle();
      expect(client.state, `after ${code}`).toBe('reconnecting');
      await advance(500);
      mock.last.welcome({ resumed: true });
      await settle();
    }
    expect(client.state).toBe('open');
  });
});

describe('endpoint URL', () => {
  const urls = [
    ['a ws:// URL with a trailing slash', 'ws://pushwire.test/pushwire/'],
    ['an http:// URL', 'http://pushwire.test/pushwire'],
    ['a URL relative to the page', '/pushwire'],
  ];
  for (const [name, url] of urls) {
    it(`connects to {base}/ws from ${name}`, async () => {
      const page = (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM;
      page.setURL('http://pushwire.test/app/page.html');
      try {
        mock.track(connect(url!, { transports: [websocket] }));
        await settle();
        expect(mock.connections).toHaveLength(1);
        expect(mock.last.url).toBe('ws://pushwire.test/pushwire/ws');
      } finally {
        page.setURL('http://localhost:3000/');
      }
    });
  }

  it('refuses a URL with a query string, with a clear error, instead of dropping it', () => {
    expect(() => connect('https://pushwire.test/pushwire?token=secret', { transports: [websocket] })).toThrow(/no query string in the URL/);
  });
});

describe('client close()', () => {
  it('sends bye, closes the socket, emits close and leaves no timer behind', async () => {
    const client = await mock.open({ reconnect, random: half });
    const states = record<ClientState>((l) => client.on('state', l));
    const closes = record<CloseInfo>((l) => client.on('close', l));
    client.subscribe('news', () => {});
    mock.last.send({ t: 'subd', ch: 'news', e: 'E', q: 0, h: 0, st: 'new' });
    await settle(); // a receipt timer is now pending
    expect(vi.getTimerCount()).toBeGreaterThan(0);

    client.close();
    await settle();
    expect(mock.last.frames.at(-1)).toEqual({ t: 'bye' });
    expect(mock.last.closedByClient?.code).toBe(1000);
    expect(client.state).toBe('closed');
    expect(client.transport).toBeNull();
    expect(states).toEqual(['closed']);
    expect(closes).toEqual([{ code: 1000, reason: 'closed by the application' }]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects pending and later sends with "closed", and refuses new subscriptions', async () => {
    const client = await mock.open();
    const pending = client.publish('news', 1);
    await settle();
    client.close();
    await expect(pending).rejects.toMatchObject({ code: 'closed' });
    await expect(client.publish('news', 2)).rejects.toMatchObject({ code: 'closed' });
    await expect(client.send('x')).rejects.toMatchObject({ code: 'closed' });
    expect(() => client.subscribe('news', () => {})).toThrow(expect.objectContaining({ code: 'closed' }));
  });

  it('while waiting to reconnect: cancels the retry, sends nothing, never connects again', async () => {
    const client = await mock.open({ reconnect, random: half });
    mock.last.close(1006);
    await settle();
    expect(vi.getTimerCount()).toBe(1); // the retry

    client.close();
    expect(client.state).toBe('closed');
    expect(vi.getTimerCount()).toBe(0);
    window.dispatchEvent(new Event('online'));
    await advance(60_000);
    expect(mock.connections).toHaveLength(1);
    expect(mock.last.sent('bye')).toEqual([]);
  });

  it('while the first connection is still being made: no bye (no session yet), no timer left', async () => {
    const client = mock.connect();
    await settle();
    client.close();
    await settle();
    expect(client.state).toBe('closed');
    expect(mock.last.frames).toEqual([{ t: 'hello', v: 1 }]);
    expect(mock.last.closedByClient).not.toBeNull();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('leaves no timer behind with an injected clock either', async () => {
    const pending = new Set<number>();
    let next = 0;
    const clock = {
      now: () => Date.now(),
      setTimeout: (fn: () => void, ms: number) => {
        const id = ++next;
        pending.add(id);
        setTimeout(() => {
          pending.delete(id);
          fn();
        }, ms);
        return id;
      },
      clearTimeout: (id: unknown) => void pending.delete(id as number),
    };
    const client = await mock.open({ clock, reconnect, random: half });
    expect(pending.size).toBeGreaterThan(0); // the heartbeat deadline
    client.close();
    expect(pending.size).toBe(0);
  });

  it('from a state listener on "reconnecting": no retry is left scheduled, the client never connects again', async () => {
    const client = await mock.open({ reconnect, random: half });
    client.on('state', (state) => state === 'reconnecting' && client.close());
    const reconnecting = record<ReconnectInfo>((l) => client.on('reconnecting', l));
    mock.last.close(1006);
    await settle();
    expect(client.state).toBe('closed');
    expect(vi.getTimerCount()).toBe(0);
    expect(reconnecting).toEqual([]);
    await advance(60_000);
    expect(mock.connections).toHaveLength(1);
  });

  it('from a state listener on "open": no heartbeat timer is left behind', async () => {
    const client = mock.connect();
    client.on('state', (state) => state === 'open' && client.close());
    const opens = record((l) => client.on('open', l));
    await settle();
    mock.last.welcome();
    await settle();
    expect(client.state).toBe('closed');
    expect(vi.getTimerCount()).toBe(0);
    expect(opens).toEqual([]);
  });

  it('from a reconnecting listener (an app giving up after N attempts): nothing is left running', async () => {
    const client = await mock.open({ reconnect, random: half });
    client.on('reconnecting', (info) => info.attempt >= 2 && client.close());
    mock.last.close(1006);
    await advance(500);
    mock.last.close(1006);
    await settle();
    expect(client.state).toBe('closed');
    expect(vi.getTimerCount()).toBe(0);
    await advance(60_000);
    expect(mock.connections).toHaveLength(2);
  });

  it('from a message handler: no receipt or heartbeat timer is left behind', async () => {
    const client = await mock.open();
    client.subscribe('news', () => client.close());
    mock.last.send({ t: 'subd', ch: 'news', e: 'E', q: 0, h: 0, st: 'new' });
    mock.last.send({ t: 'm', ch: 'news', e: 'E', q: 1, d: 'stop' });
    await settle();
    expect(client.state).toBe('closed');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('from an error listener on a fatal close code: one close event, not two', async () => {
    const client = await mock.open();
    client.on('error', () => client.close());
    const closes = record<CloseInfo>((l) => client.on('close', l));
    mock.last.close(4100, 'fatal');
    await settle();
    expect(closes).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('is idempotent', async () => {
    const client = await mock.open();
    const closes = record<CloseInfo>((l) => client.on('close', l));
    client.close();
    client.close();
    await settle();
    expect(closes).toHaveLength(1);
    expect(mock.last.sent('bye')).toHaveLength(1);
  });
});
