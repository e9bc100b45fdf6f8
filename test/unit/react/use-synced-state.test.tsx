import { afterEach, describe, expect, it } from 'vitest';
import type { PushwireClient } from '../../../src/client/index.js';
import { type SyncedStateView, useSyncedState } from '../../../src/react/index.js';
import { connectClient } from '../../support/client-harness.js';
import { closeAll } from '../../support/close-after-test.js';
import { RestartableServer } from '../../support/restartable-server.js';
import { waitFor } from '../../support/wait.js';
import { renderWithClient } from './render.js';

afterEach(closeAll);

type Board = { prices: number[] };

function mount(client: PushwireClient, channel: string): SyncedStateView<Board>[] {
  const views: SyncedStateView<Board>[] = [];
  function Board(): null {
    const view = useSyncedState<Board>(channel);
    if (views.at(-1) !== view) views.push(view);
    return null;
  }
  renderWithClient(client, <Board />, { strict: true });
  return views;
}

describe('useSyncedState', () => {
  it('renders the snapshot, then each diff as a whole new state (StrictMode: one subscription)', async () => {
    const server = await RestartableServer.start();
    await server.pushwire!.setState('board', { prices: [1, 2, 3] });
    const client = connectClient(server.url);
    const views = mount(client, 'board');
    await waitFor(() => views.at(-1)?.ready === true, 'snapshot');
    expect(views.at(-1)).toMatchObject({ state: { prices: [1, 2, 3] }, change: { type: 'init' }, resets: 0 });
    await server.pushwire!.patchState('board', [{ op: 'replace', path: '/prices/1', value: 5 }]);
    await waitFor(() => views.at(-1)?.state?.prices[1] === 5, 'diff applied');
    expect(views.at(-1)!.change).toMatchObject({ type: 'patch', ops: [{ op: 'replace', path: '/prices/1', value: 5 }] });
    expect(server.pushwire!.stats().channels).toBe(1);
    expect(views.every((view) => view.state === null || view.state.prices.length === 3)).toBe(true); // never half-applied
  });

  it('counts a reset when the server lost the history and shows the fresh state', async () => {
    const server = await RestartableServer.start();
    await server.pushwire!.setState('board', { prices: [1] });
    const client = connectClient(server.url);
    const views = mount(client, 'board');
    await waitFor(() => views.at(-1)?.ready === true, 'snapshot');
    await server.restart({ keepHistory: false });
    await server.pushwire!.setState('board', { prices: [9, 9] });
    await waitFor(() => views.at(-1)?.resets === 1 && views.at(-1)?.state?.prices.length === 2, 'reset to the new state', 15_000);
    expect(views.at(-1)!.change?.type).toBe('reset');
  }, 20_000);
});
