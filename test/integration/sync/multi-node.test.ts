import { afterEach, describe, expect, it } from 'vitest';
import { RedisBroker } from '../../../src/server/broker/redis.js';
import { closeAll } from '../../support/close-after-test.js';
import { useTestRedis } from '../../support/redis-server.js';
import { waitFor } from '../../support/wait.js';
import { type Harness, startHarness, transportCases } from './harness.js';
import { syncedState, presence } from '../../../src/sync/index.js';

const redis = useTestRedis();

describe.skipIf(!redis.available).each(transportCases)('synced state and presence across server nodes over $name', (transport) => {
  afterEach(closeAll);

  async function twoNodes(): Promise<[Harness, Harness]> {
    const prefix = redis.prefix('mn');
    const authorize = ({ auth }: { auth: unknown }) => ({ ok: true as const, user: (auth as { user: string }).user });
    const nodes = await Promise.all(
      [0, 1].map(() => startHarness(transport, { broker: new RedisBroker({ url: redis.url, prefix }), authorize })),
    );
    return nodes as [Harness, Harness];
  }

  it('state written on one node is followed by a client of the other, snapshot and diffs', async () => {
    const [a, b] = await twoNodes();
    await a.server.setState('board', { cells: [0, 0, 0] });
    const client = b.client({ auth: { user: 'u' } });
    const board = syncedState<{ cells: number[] }>(client, 'board');
    await waitFor(() => board.ready, 'snapshot from node b');
    expect(board.state).toEqual({ cells: [0, 0, 0] });
    await a.server.patchState('board', [{ op: 'replace', path: '/cells/1', value: 1 }]);
    const last = await b.server.patchState('board', [{ op: 'replace', path: '/cells/2', value: 2 }]);
    await waitFor(() => board.seq === last.seq, 'both changes');
    expect(board.state).toEqual({ cells: [0, 1, 2] });
    expect((await a.server.getState('board')).state).toEqual({ cells: [0, 1, 2] });
  });

  it('concurrent writers on two nodes never lose a change (compare-and-set)', async () => {
    const [a, b] = await twoNodes();
    await a.server.setState('counter', { log: [] });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).server.patchState('counter', [{ op: 'add', path: '/log/-', value: i }])),
    );
    const final = await a.server.getState<{ log: number[] }>('counter');
    expect([...final.state!.log].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('a member on one node is present for a watcher on the other, and leaves when its session ends', async () => {
    const [a, b] = await twoNodes();
    const watcher = presence(b.client({ auth: { user: 'watcher' } }), 'room');
    const joins: string[] = [];
    const leaves: string[] = [];
    watcher.on('join', (m) => joins.push(m.key));
    watcher.on('leave', (m) => leaves.push(m.key));
    const dana = a.client({ auth: { user: 'dana' } });
    presence(dana, 'room', { name: 'Dana' });
    await waitFor(() => joins.includes('user:dana'), 'dana appears on node b');
    dana.close();
    await waitFor(() => leaves.includes('user:dana'), 'dana leaves on node b');
    expect(await b.server.presence('room')).toEqual({});
  });
});
