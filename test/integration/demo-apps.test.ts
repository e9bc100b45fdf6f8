import { afterEach, describe, expect, it } from 'vitest';
import type { PushwireClient } from '../../src/client/index.js';
import type { ChatEvent, GameSnapshot, GameState } from '../../demo/shared/demo-messages.js';
import { type DemoServer, startDemoServer } from '../../demo/server/demo-server.js';
import { silentLogger } from '../../src/server/logger.js';
import { openClient } from '../support/client-harness.js';
import { closeAfterTest, closeAll } from '../support/close-after-test.js';
import { waitFor } from '../support/wait.js';

/** The current test's demo server, from `start()`. */
let demo: DemoServer | undefined;

afterEach(closeAll);

async function start(chatCapacity = 50): Promise<string> {
  demo = closeAfterTest(await startDemoServer(0, '127.0.0.1', { chatCapacity, logger: silentLogger }));
  return `http://127.0.0.1:${demo.port}/pushwire`;
}

function chatLog(client: PushwireClient, rewind?: number): ChatEvent[] {
  const events: ChatEvent[] = [];
  client.subscribe<ChatEvent>('chat', (event) => events.push(event), rewind ? { rewind } : {});
  return events;
}

describe('demo chat room', () => {
  it('relays messages with the sender name the server knows, with join and leave notices', async () => {
    const url = await start();
    const ana = await openClient(url);
    const ben = await openClient(url);
    const seenByBen = chatLog(ben);
    await waitFor(() => demo!.pushwire.stats().channels === 1, 'subscribed');
    await ana.send({ app: 'chat', type: 'join', name: 'Ana' });
    await ana.send({ app: 'chat', type: 'say', text: '<img src=x onerror=alert(1)> hi', name: 'Mallory' });
    ana.close();
    await waitFor(() => seenByBen.length === 3, 'join, message, leave');
    expect(seenByBen.map((e) => [e.kind, e.name])).toEqual([
      ['join', 'Ana'],
      ['message', 'Ana'],
      ['leave', 'Ana'],
    ]);
    // Delivered as the plain text it is; pages render it as text.
    expect(seenByBen[1]).toMatchObject({ text: '<img src=x onerror=alert(1)> hi' });
  });

  it('gives a newcomer the history with rewind', async () => {
    const url = await start();
    const ana = await openClient(url);
    await ana.send({ app: 'chat', type: 'join', name: 'Ana' });
    for (let i = 1; i <= 5; i++) await ana.send({ app: 'chat', type: 'say', text: `m${i}` });
    const late = await openClient(url);
    const log = chatLog(late, 1000);
    await waitFor(() => log.length === 6, 'history');
    expect(log.map((e) => (e.kind === 'message' ? e.text : e.kind))).toEqual(['join', 'm1', 'm2', 'm3', 'm4', 'm5']);
  });

  it('refuses newcomers past the cap, a taken name, and writing before joining, with reasons', async () => {
    const url = await start(2);
    const [a, b, c] = await Promise.all([openClient(url), openClient(url), openClient(url)]);
    await expect(c.send({ app: 'chat', type: 'say', text: 'hello?' })).rejects.toThrow(/join the room/);
    await a.send({ app: 'chat', type: 'join', name: 'Ana' });
    await expect(b.send({ app: 'chat', type: 'join', name: 'ana' })).rejects.toThrow(/taken/);
    await b.send({ app: 'chat', type: 'join', name: 'Ben' });
    await expect(c.send({ app: 'chat', type: 'join', name: 'Cy' })).rejects.toThrow(/room is full \(2 people\)/);
    await b.send({ app: 'chat', type: 'leave' });
    await c.send({ app: 'chat', type: 'join', name: 'Cy' });
    expect(demo!.apps.chat.size).toBe(2);
  });

  it('refuses malformed requests and publishing by pages', async () => {
    const url = await start();
    const client = await openClient(url);
    await expect(client.send({ app: 'chat', type: 'join', name: ' ' })).rejects.toThrow(/name is required/);
    await expect(client.send({ app: 'chat', type: 'join', name: 'x'.repeat(25) })).rejects.toThrow(/at most 24/);
    await expect(client.send({ app: 'chat', type: 'nope' })).rejects.toThrow(/unknown request/);
    await expect(client.send('hello')).rejects.toThrow(/requests are objects/);
    await expect(client.publish('chat', { kind: 'message', name: 'fake', text: 'x' })).rejects.toMatchObject({ code: 'forbidden' });
  });
});

describe('demo Connect Four', () => {
  async function seated(url: string): Promise<{ red: PushwireClient; yellow: PushwireClient; states: GameState[] }> {
    const red = await openClient(url);
    const yellow = await openClient(url);
    const states: GameState[] = [];
    const watcher = await openClient(url);
    watcher.subscribe<GameState>('connect-four', (state) => states.push(state));
    await waitFor(() => demo!.pushwire.stats().channels === 1, 'watching');
    await red.send({ app: 'game', type: 'sit', name: 'Red' });
    await yellow.send({ app: 'game', type: 'sit', name: 'Yellow' });
    return { red, yellow, states };
  }

  it('plays a game to a win, refusing moves out of turn and from spectators', async () => {
    const url = await start();
    const { red, yellow, states } = await seated(url);
    const spectator = await openClient(url);
    await waitFor(() => states.at(-1)?.phase === 'playing', 'game starts');
    expect(states.at(-1)!.players).toEqual(['Red', 'Yellow']);
    await expect(yellow.send({ app: 'game', type: 'move', column: 0 })).rejects.toThrow(/not your turn/);
    await expect(spectator.send({ app: 'game', type: 'move', column: 0 })).rejects.toThrow(/spectators/);
    await expect(spectator.send({ app: 'game', type: 'sit', name: 'Late' })).rejects.toThrow(/both seats/);
    for (let i = 0; i < 3; i++) {
      await red.send({ app: 'game', type: 'move', column: 3 });
      await yellow.send({ app: 'game', type: 'move', column: 4 });
    }
    await red.send({ app: 'game', type: 'move', column: 3 });
    await waitFor(() => states.at(-1)?.phase === 'won', 'won');
    expect(states.at(-1)).toMatchObject({
      winner: 1,
      line: [
        [2, 3],
        [3, 3],
        [4, 3],
        [5, 3],
      ],
    });
    await expect(yellow.send({ app: 'game', type: 'move', column: 4 })).rejects.toThrow(/not running/);
    // Every change was published in order.
    expect(states.map((s) => s.version)).toEqual(states.map((_, i) => states[0]!.version + i));
  });

  it('tells a session its seat and the state when it asks, and frees the seat when a player leaves', async () => {
    const url = await start();
    const { red, yellow, states } = await seated(url);
    const snapshots: GameSnapshot[] = [];
    yellow.on('message', (data) => snapshots.push(data as GameSnapshot));
    await yellow.send({ app: 'game', type: 'sync' });
    await waitFor(() => snapshots.length === 1, 'snapshot');
    expect(snapshots[0]).toMatchObject({ seat: 2, state: { phase: 'playing' } });
    red.close();
    await waitFor(() => states.at(-1)?.phase === 'waiting', 'seat freed');
    expect(states.at(-1)!.players).toEqual([null, 'Yellow']);
  });
});
