import { afterEach, describe, expect, it } from 'vitest';
import type { StateChange } from '../../../src/sync/index.js';
import { closeAll } from '../../support/close-after-test.js';
import { delay, waitFor } from '../../support/wait.js';
import { startHarness, transportCases } from './harness.js';
import { syncedState } from '../../../src/sync/index.js';

interface Game {
  score: number;
  log: number[];
  players?: Record<string, string>;
}

describe.each(transportCases)('synced state over $name', (transport) => {
  afterEach(closeAll);

  it('starts from the snapshot, then applies each change as one patch event that says what changed', async () => {
    const h = await startHarness(transport);
    await h.server.setState('game', { score: 0, log: [] });
    const client = h.client();
    const game = syncedState<Game>(client, 'game');
    const changes: StateChange<Game>[] = [];
    game.on('change', (change) => changes.push(change));
    await waitFor(() => game.ready, 'first snapshot');
    expect(game.state).toEqual({ score: 0, log: [] });
    expect(changes[0]).toMatchObject({ type: 'init' });

    await h.server.patchState('game', [
      { op: 'replace', path: '/score', value: 3 },
      { op: 'add', path: '/log/-', value: 3 },
    ]);
    const { seq } = await h.server.setState('game', { score: 3, log: [3], players: { a: 'Ann' } });
    await waitFor(() => game.seq === seq, 'both changes');
    expect(game.state).toEqual({ score: 3, log: [3], players: { a: 'Ann' } });
    expect(changes.slice(1).map((c) => [c.type, c.ops])).toEqual([
      [
        'patch',
        [
          { op: 'replace', path: '/score', value: 3 },
          { op: 'add', path: '/log/-', value: 3 },
        ],
      ],
      ['patch', [{ op: 'add', path: '/players', value: { a: 'Ann' } }]],
    ]);
    expect(changes.at(-1)!.previous).toEqual({ score: 3, log: [3] });
    expect(Object.isFrozen(game.state)).toBe(true);
  });

  it('a patch that does not apply is refused and publishes nothing; move/copy/test reach clients as add/remove/replace', async () => {
    const h = await startHarness(transport);
    const first = await h.server.setState('doc', { a: { b: 1 } });
    await expect(h.server.patchState('doc', [{ op: 'remove', path: '/nope' }])).rejects.toThrow(/no \/nope/);
    await expect(h.server.patchState('doc', [{ op: 'test', path: '/a/b', value: 2 }])).rejects.toThrow(/test failed/);
    expect((await h.server.getState('doc')).seq).toBe(first.seq);
    const client = h.client();
    const doc = syncedState(client, 'doc');
    await waitFor(() => doc.ready, 'snapshot');
    const ops: unknown[] = [];
    doc.on('change', (change) => ops.push(...change.ops));
    const moved = await h.server.patchState('doc', [
      { op: 'test', path: '/a/b', value: 1 },
      { op: 'move', from: '/a/b', path: '/c' },
      { op: 'copy', from: '/c', path: '/d' },
    ]);
    await waitFor(() => doc.seq === moved.seq, 'the move');
    expect(doc.state).toEqual({ a: {}, c: 1, d: 1 });
    expect(ops).toEqual([
      { op: 'remove', path: '/a/b' },
      { op: 'add', path: '/c', value: 1 },
      { op: 'add', path: '/d', value: 1 },
    ]);
  });

  it('a client offline longer than the history gets exactly one reset, then the right state', async () => {
    // A short heartbeat: long-polling notices a vanished client only by its silence.
    const h = await startHarness(transport, { history: { size: 5 }, sessionTtl: 150, heartbeatInterval: 100, heartbeatGrace: 100 });
    await h.server.setState('game', { score: 0, log: [] });
    const client = h.client();
    const game = syncedState<Game>(client, 'game');
    await waitFor(() => game.ready, 'first snapshot');
    const resets: StateChange<Game>[] = [];
    const types: string[] = [];
    game.on('reset', (change) => resets.push(change));
    game.on('change', (change) => types.push(change.type));

    h.proxy.cut();
    await waitFor(() => client.state === 'reconnecting', 'client notices the cut');
    await waitFor(() => h.server.stats().sessions === 0, 'session expired');
    for (let i = 1; i <= 20; i++) {
      await h.server.patchState('game', [
        { op: 'replace', path: '/score', value: i },
        { op: 'add', path: '/log/-', value: i },
      ]);
    }
    const expected = await h.server.getState<Game>('game');
    h.proxy.restore();
    await waitFor(() => game.seq >= expected.seq, 'client catches up');
    await delay(50);
    expect(resets).toHaveLength(1);
    expect(types).toEqual(['reset']);
    expect(game.state).toEqual(expected.state);
    expect(resets[0]!.previous).toEqual({ score: 0, log: [] });

    // ...and it keeps following afterwards.
    const next = await h.server.patchState('game', [{ op: 'add', path: '/log/-', value: 21 }]);
    await waitFor(() => game.seq === next.seq, 'next change');
    expect(game.state!.log).toHaveLength(21);
    expect(types).toEqual(['reset', 'patch']);
  });

  it('a short drop within the session is replayed without a reset', async () => {
    const h = await startHarness(transport, { history: { size: 2 } });
    await h.server.setState('game', { score: 0, log: [] });
    const client = h.client();
    const game = syncedState<Game>(client, 'game');
    await waitFor(() => game.ready, 'first snapshot');
    const types: string[] = [];
    game.on('change', (change) => types.push(change.type));
    h.proxy.cut();
    await waitFor(() => client.state === 'reconnecting', 'client notices the cut');
    let last = 0;
    for (let i = 1; i <= 10; i++) last = (await h.server.patchState('game', [{ op: 'add', path: '/log/-', value: i }])).seq;
    h.proxy.restore();
    await waitFor(() => game.seq === last, 'client catches up');
    expect(types).toEqual(Array(10).fill('patch'));
    expect(game.state!.log).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('plain messages on a state channel leave the state alone; "$patch" payloads from clients are refused', async () => {
    const h = await startHarness(transport, { canPublish: () => true });
    await h.server.setState('room', { topic: 'hi' });
    const client = h.client();
    const room = syncedState(client, 'room');
    await waitFor(() => room.ready, 'snapshot');
    const chat = await h.server.publish('room', { text: 'hello' });
    await waitFor(() => room.seq === chat.seq, 'the chat message passes');
    expect(room.state).toEqual({ topic: 'hi' });
    await expect(client.publish('room', { $patch: [{ op: 'replace', path: '/topic', value: 'evil' }] })).rejects.toMatchObject({
      code: 'forbidden',
    });
    await expect(h.server.publish('room', { $patch: [] })).rejects.toThrow(TypeError);
    expect((await h.server.getState('room')).state).toEqual({ topic: 'hi' });
  });

  it('a channel without state syncs as null and becomes the document once it is set', async () => {
    const h = await startHarness(transport);
    const client = h.client();
    const doc = syncedState<{ v: number }>(client, 'later');
    await waitFor(() => doc.ready, 'snapshot');
    expect(doc.state).toBeNull();
    const set = await h.server.setState('later', { v: 1 });
    await waitFor(() => doc.seq === set.seq, 'set');
    expect(doc.state).toEqual({ v: 1 });
  });

  it('a snapshot too large for the session buffer is refused with too_large instead of evicting the session', async () => {
    const h = await startHarness(transport, { outbound: { maxBytes: 8192 } });
    await h.server.setState('big', { blob: 'x'.repeat(6000) });
    const client = h.client();
    const big = syncedState(client, 'big');
    const errors: string[] = [];
    big.on('error', (error) => errors.push(error.code));
    await waitFor(() => errors.length > 0, 'refusal');
    expect(errors).toEqual(['too_large']);
    expect(big.ready).toBe(false);
    expect(client.state).toBe('open');
    expect(h.server.stats().sessions).toBe(1);
  });

  it('a forbidden channel reports the error and never becomes ready', async () => {
    const h = await startHarness(transport, { canSubscribe: (_session, channel) => channel !== 'secret' });
    await h.server.setState('secret', { pin: 1234 });
    const client = h.client();
    const doc = syncedState(client, 'secret');
    const errors: string[] = [];
    doc.on('error', (error) => errors.push(error.code));
    await waitFor(() => errors.length > 0, 'refusal');
    expect(errors).toContain('forbidden');
    expect(doc.ready).toBe(false);
    await expect(client.fetchState('secret')).rejects.toMatchObject({ code: 'forbidden' });
  });
});
