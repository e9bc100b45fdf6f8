import { useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { useClientEvent } from '../../../src/react/index.js';
import { connectClient } from '../../support/client-harness.js';
import { closeAll } from '../../support/close-after-test.js';
import { startTestServer } from '../../support/server-harness.js';
import { delay, waitFor } from '../../support/wait.js';
import { renderWithClient, unmountAll } from './render.js';

afterEach(closeAll);

describe('useClientEvent', () => {
  it('hands direct messages to the latest handler and stops listening on unmount', async () => {
    const sessions: Array<{ send(data: unknown): void }> = [];
    const server = await startTestServer({ onConnection: (session) => sessions.push(session) });
    const client = connectClient(server.url);
    const got: string[] = [];
    let rename: (name: string) => void = () => {};
    function Listener(): null {
      const [name, setName] = useState('first');
      rename = setName;
      useClientEvent('message', (data) => got.push(`${name}:${String(data)}`));
      return null;
    }
    renderWithClient(client, <Listener />);
    await waitFor(() => sessions.length === 1, 'session');
    sessions[0]!.send('a');
    await waitFor(() => got.length === 1, 'first message');
    rename('second');
    await delay(20);
    sessions[0]!.send('b');
    await waitFor(() => got.length === 2, 'second message');
    unmountAll();
    sessions[0]!.send('c');
    await delay(50);
    expect(got).toEqual(['first:a', 'second:b']);
  });
});
