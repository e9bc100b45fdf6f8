import { afterEach, describe, expect, it } from 'vitest';
import type { PushwireClient } from '../../../src/client/index.js';
import { type PresenceMember, presence as watchPresence } from '../../../src/sync/index.js';
import { closeAll } from '../../support/close-after-test.js';
import { delay, waitFor } from '../../support/wait.js';
import { startHarness, transportCases } from './harness.js';

/** Users are who `authorize` says: the client's `auth` option names them. */
const authorize = ({ auth }: { auth: unknown }) => ({ ok: true as const, user: (auth as { user: string }).user });

interface Seen {
  events: string[];
  lists: string[][];
}

function watch(client: PushwireClient, meta?: unknown) {
  const presence = watchPresence(client, 'room', meta);
  const seen: Seen = { events: [], lists: [] };
  const count = (member: PresenceMember): number => Object.keys(member.connections).length;
  presence.on('join', (m) => seen.events.push(`join ${m.key} ${count(m)}`));
  presence.on('leave', (m) => seen.events.push(`leave ${m.key}`));
  presence.on('update', (m, old) => seen.events.push(`update ${m.key} ${count(old)}→${count(m)}`));
  presence.on('sync', (members) => seen.lists.push(members.map((m) => m.key).sort()));
  return { presence, seen };
}

const names = (members: PresenceMember[]): string[] => members.map((m) => m.key).sort();

describe.each(transportCases)('presence over $name', (transport) => {
  afterEach(closeAll);

  it('several tabs of one user are one member with several connections; join, update and leave events follow', async () => {
    const h = await startHarness(transport, { authorize });
    const alice = watch(h.client({ auth: { user: 'alice' } }), { name: 'Alice' });
    await waitFor(() => names(alice.presence.list()).includes('user:alice'), 'alice sees herself');

    const aliceTab2 = h.client({ auth: { user: 'alice' } });
    watch(aliceTab2, { name: 'Alice (tab 2)' });
    await waitFor(() => alice.seen.events.includes('update user:alice 1→2'), 'second tab joins the same member');

    const bob = h.client({ auth: { user: 'bob' } });
    watch(bob, { name: 'Bob' });
    await waitFor(() => alice.seen.events.includes('join user:bob 1'), 'bob joins');
    const bobEntry = alice.presence.list().find((m) => m.key === 'user:bob')!;
    expect(Object.values(bobEntry.connections)).toEqual([{ name: 'Bob' }]);
    expect(Object.values(alice.presence.list().find((m) => m.key === 'user:alice')!.connections)).toEqual(
      expect.arrayContaining([{ name: 'Alice' }, { name: 'Alice (tab 2)' }]),
    );

    bob.close(); // bye: the session ends at once
    await waitFor(() => alice.seen.events.includes('leave user:bob'), 'bob leaves');
    aliceTab2.close();
    await waitFor(() => alice.seen.events.includes('update user:alice 2→1'), 'second tab leaves, alice stays');
    expect(alice.seen.events).toEqual([
      'join user:alice 1',
      'update user:alice 1→2',
      'join user:bob 1',
      'leave user:bob',
      'update user:alice 2→1',
    ]);
    expect(await h.server.presence('room')).toEqual({ 'user:alice': expect.any(Object) });
  });

  it('metadata updates and an explicit leave are seen by others; a watcher without metadata is not listed', async () => {
    const h = await startHarness(transport, { authorize });
    const watcher = watch(h.client({ auth: { user: 'watcher' } }));
    const carol = watch(h.client({ auth: { user: 'carol' } }), { status: 'here' });
    await waitFor(() => watcher.seen.events.includes('join user:carol 1'), 'carol joins');
    await carol.presence.join({ status: 'away' });
    await waitFor(() => watcher.seen.events.includes('update user:carol 1→1'), 'carol updates');
    expect(Object.values(watcher.presence.list()[0]!.connections)).toEqual([{ status: 'away' }]);
    await carol.presence.leave();
    await waitFor(() => watcher.seen.events.includes('leave user:carol'), 'carol leaves');
    expect(watcher.presence.list()).toEqual([]);
    expect(await h.server.presence('room')).toEqual({});
  });

  it('a brief reconnect changes nothing for others; an expired session leaves, and comes back as a join with the full list', async () => {
    // A short heartbeat: long-polling notices a vanished client only by its silence.
    const h = await startHarness(transport, { authorize, sessionTtl: 300, heartbeatInterval: 100, heartbeatGrace: 100 });
    const alice = watch(h.client({ auth: { user: 'alice' } }, 'direct'), { name: 'Alice' });
    const bobClient = h.client({ auth: { user: 'bob' } }); // through the proxy, whose network we cut
    const bob = watch(bobClient, { name: 'Bob' });
    await waitFor(() => alice.seen.events.includes('join user:bob 1'), 'bob joins');
    await waitFor(() => bob.presence.list().length === 2, 'bob sees both');

    // Brief drop: the session resumes, presence does not flap.
    h.proxy.cut();
    await waitFor(() => bobClient.state === 'reconnecting', 'bob notices');
    await delay(50);
    h.proxy.restore();
    await waitFor(() => bobClient.state === 'open', 'bob resumes');
    await delay(100);
    expect(alice.seen.events).toEqual(['join user:alice 1', 'join user:bob 1']);

    // Long drop: the session expires and bob's entry goes.
    h.proxy.cut();
    await waitFor(() => alice.seen.events.includes('leave user:bob'), 'bob expires', 3000);
    expect(names(alice.presence.list())).toEqual(['user:alice']);

    // Bob comes back in a new session: joins again, and gets the full list after a reset.
    const listsBefore = bob.seen.lists.length;
    h.proxy.restore();
    await waitFor(() => alice.seen.events.filter((e) => e === 'join user:bob 1').length === 2, 'bob rejoins');
    await waitFor(() => bob.seen.lists.length > listsBefore, 'bob gets the full list again');
    expect(bob.seen.lists.at(-1)).toEqual(['user:alice', 'user:bob']);
    expect(names(bob.presence.list())).toEqual(['user:alice', 'user:bob']);
  });

  it('anonymous sessions are one member each; joins follow canSubscribe, metadata is bounded, presence channels are read-only', async () => {
    const h = await startHarness(transport, {
      canSubscribe: (_session, channel) => channel !== 'private',
      canPublish: () => true,
      presence: { maxMetaBytes: 64, maxMembers: 2 },
    });
    const a = watch(h.client(), { n: 1 });
    watch(h.client(), { n: 2 });
    await waitFor(() => a.presence.list().length === 2, 'two anonymous members');
    expect(a.presence.list().every((m) => m.key.startsWith('anon:'))).toBe(true);

    const third = h.client();
    await expect(third.joinPresence('room', { n: 3 })).rejects.toMatchObject({ code: 'limit_exceeded' });
    await expect(third.joinPresence('other', { big: 'x'.repeat(100) })).rejects.toMatchObject({ code: 'too_large' });
    await expect(third.joinPresence('private', {})).rejects.toMatchObject({ code: 'forbidden' });
    await expect(third.fetchState('$presence:private')).rejects.toMatchObject({ code: 'forbidden' });
    await expect(third.publish('$presence:room', { x: 1 })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(third.joinPresence('x'.repeat(195), {})).rejects.toMatchObject({ code: 'bad_channel' });
    // The plain channel event stream applies the same rule to a presence channel.
    const base = `http://127.0.0.1:${h.proxy.port}/pushwire/events?channel=`;
    expect((await fetch(base + encodeURIComponent('$presence:private'))).status).toBe(403);
    expect(a.presence.list()).toHaveLength(2);
  });
});
