import { afterEach, describe, expect, it } from 'vitest';
import type { PushwireClient } from '../../../src/client/index.js';
import { useConnection, usePushwire } from '../../../src/react/index.js';
import type { ConnectionSnapshot } from '../../../src/react/index.js';
import { connectClient } from '../../support/client-harness.js';
import { closeAll } from '../../support/close-after-test.js';
import { RestartableServer } from '../../support/restartable-server.js';
import { waitFor } from '../../support/wait.js';
import { render, renderWithClient } from './render.js';

afterEach(closeAll);

/** Renders useConnection and records every distinct snapshot it returned. */
function watchConnection(client: PushwireClient): ConnectionSnapshot[] {
  const seen: ConnectionSnapshot[] = [];
  function Probe(): null {
    const snapshot = useConnection();
    if (seen.at(-1) !== snapshot) seen.push(snapshot);
    return null;
  }
  renderWithClient(client, <Probe />);
  return seen;
}

describe('useConnection', () => {
  it('follows the client from connecting to open, with the transport and the session id', async () => {
    const server = await RestartableServer.start();
    const client = connectClient(server.url);
    const seen = watchConnection(client);
    await waitFor(() => seen.at(-1)?.state === 'open', 'hook reports open');
    expect(seen[0]!.state).toBe('connecting');
    expect(seen.at(-1)).toMatchObject({
      state: 'open',
      transport: 'websocket',
      sessionId: client.sessionId,
      reconnects: 0,
      newSessions: 0,
    });
    expect(client.sessionId).toMatch(/.+/);
  });

  it('counts a reconnect after a network cut, which resumes the same session', async () => {
    const server = await RestartableServer.start();
    const client = connectClient(server.url);
    const seen = watchConnection(client);
    await waitFor(() => seen.at(-1)?.state === 'open', 'open');
    const session = client.sessionId;
    expect(server.killConnections()).toBeGreaterThan(0);
    await waitFor(() => seen.at(-1)?.state === 'open' && seen.at(-1)!.reconnects === 1, 'reopened');
    expect(seen.at(-1)).toMatchObject({ reconnects: 1, newSessions: 0, resumed: true, sessionId: session });
  });

  it('counts a reconnect that the session, and one that needed a new session after a server restart', async () => {
    const server = await RestartableServer.start();
    const client = connectClient(server.url);
    const seen = watchConnection(client);
    await waitFor(() => seen.at(-1)?.state === 'open', 'open');
    const firstSession = client.sessionId;

    // A restart ends every session: the client reconnects and has to start a new one.
    await server.restart({ keepHistory: true });
    await waitFor(() => seen.at(-1)?.state === 'open' && seen.at(-1)!.reconnects === 1, 'reopened after restart');
    expect(seen.some((snapshot) => snapshot.state === 'reconnecting')).toBe(true);
    // The restarted server has no sessions: a new one started.
    expect(seen.at(-1)).toMatchObject({ reconnects: 1, newSessions: 1, resumed: false });
    expect(seen.at(-1)!.sessionId).not.toBe(firstSession);
  });

  it('re-renders only when something it reports changed', async () => {
    const server = await RestartableServer.start();
    const client = connectClient(server.url);
    const seen = watchConnection(client);
    await waitFor(() => seen.at(-1)?.state === 'open', 'open');
    const count = seen.length;
    await client.ping();
    await client.publish('nowhere', 1).catch(() => {});
    expect(seen.length).toBe(count);
  });

  it('says what is wrong when there is no provider', async () => {
    const errors: unknown[] = [];
    function Orphan(): null {
      try {
        usePushwire();
      } catch (error) {
        errors.push(error);
      }
      return null;
    }
    render(<Orphan />);
    await waitFor(() => errors.length > 0, 'render');
    expect(String(errors[0])).toMatch(/PushwireProvider/);
  });
});
