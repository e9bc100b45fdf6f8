import { useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import type { PushwireClient } from '../../../src/client/index.js';
import { type PresenceView, usePresence } from '../../../src/react/index.js';
import { connectClient } from '../../support/client-harness.js';
import { closeAll } from '../../support/close-after-test.js';
import { RestartableServer } from '../../support/restartable-server.js';
import { waitFor } from '../../support/wait.js';
import { renderWithClient } from './render.js';

afterEach(closeAll);

interface Probe {
  views: PresenceView[];
  setShown(shown: boolean): void;
}

function mount(client: PushwireClient, meta: unknown): Probe {
  const probe: Probe = { views: [], setShown: () => {} };
  function Here(): null {
    const view = usePresence('room', meta);
    if (probe.views.at(-1) !== view) probe.views.push(view);
    return null;
  }
  function Toggle() {
    const [shown, setShown] = useState(true);
    probe.setShown = setShown;
    return shown ? <Here /> : null;
  }
  renderWithClient(client, <Toggle />, { strict: true });
  return probe;
}

const names = (view: PresenceView | undefined): string[] =>
  (view?.members ?? []).flatMap((member) => Object.values(member.connections).map((meta) => (meta as { name: string }).name)).sort();

describe('usePresence', () => {
  it('lists who is here, joins with its metadata, and leaves on unmount', async () => {
    const server = await RestartableServer.start();
    const ana = mount(connectClient(server.url), { name: 'Ana' });
    const ben = mount(connectClient(server.url), { name: 'Ben' });
    await waitFor(() => names(ana.views.at(-1)).join() === 'Ana,Ben', 'Ana sees both');
    await waitFor(() => names(ben.views.at(-1)).join() === 'Ana,Ben', 'Ben sees both');
    expect(ana.views.at(-1)!.ready).toBe(true);
    ben.setShown(false);
    await waitFor(() => names(ana.views.at(-1)).join() === 'Ana', 'Ben left');
  });
});
