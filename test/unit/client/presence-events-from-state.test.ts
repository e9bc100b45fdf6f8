import { describe, expect, it } from 'vitest';
import { Presence, type PresenceSource } from '../../../src/sync/presence.js';
import type { SubscriptionHandlers } from '../../../src/client/subscription.js';
import type { SnapshotFrame } from '../../../src/protocol/frames.js';

/** A source whose subscription and snapshot replies the test drives by hand. */
function fakeSource() {
  let handlers: SubscriptionHandlers = {};
  const replies: Array<(snapshot: Pick<SnapshotFrame, 'e' | 'q' | 'd'>) => void> = [];
  const calls: string[] = [];
  const source: PresenceSource = {
    subscribe: (channel, h) => {
      calls.push(`sub ${channel}`);
      handlers = h;
      return { unsubscribe: async () => {} };
    },
    fetchState: () => new Promise((resolve) => replies.push(resolve)),
    joinPresence: async (channel, meta) => void calls.push(`join ${channel} ${JSON.stringify(meta)}`),
    leavePresence: async (channel) => void calls.push(`leave ${channel}`),
  };
  const subscribed = (status: 'new' | 'recovered' | 'reset', seq: number) =>
    handlers.onSubscribed?.({ channel: '$presence:room', status, epoch: 'E', seq, head: seq });
  const message = (seq: number, patch: unknown[]) =>
    handlers.onMessage?.({ $patch: patch }, { channel: '$presence:room', epoch: 'E', seq });
  const reply = async (q: number, d: unknown) => {
    replies.shift()!({ e: 'E', q, d });
    await Promise.resolve();
    await Promise.resolve();
  };
  return { source, calls, subscribed, message, reply };
}

describe('Presence', () => {
  it('follows the $presence: channel, joins with its metadata, and turns state changes into join/update/leave', async () => {
    const f = fakeSource();
    const presence = new Presence('room', f.source, { name: 'Me' });
    const events: string[] = [];
    presence.on('join', (m) => events.push(`join ${m.key}`));
    presence.on('leave', (m) => events.push(`leave ${m.key}`));
    presence.on('update', (m) => events.push(`update ${m.key} ${Object.keys(m.connections).length}`));
    presence.on('sync', (list) => events.push(`sync ${list.map((m) => m.key).join(',')}`));
    expect(f.calls).toEqual(['sub $presence:room', 'join room {"name":"Me"}']);

    f.subscribed('new', 1);
    await f.reply(1, { 'user:me': { c1: { name: 'Me' } } });
    f.message(2, [{ op: 'add', path: '/user:ann', value: { c2: {} } }]);
    f.message(3, [{ op: 'add', path: '/user:ann/c3', value: {} }]);
    f.message(4, [{ op: 'remove', path: '/user:ann' }]);
    expect(events).toEqual(['join user:me', 'sync user:me', 'join user:ann', 'update user:ann 2', 'leave user:ann']);
    expect(presence.list()).toEqual([{ key: 'user:me', connections: { c1: { name: 'Me' } } }]);
  });

  it('after a reset, emits exactly the joins and leaves that happened meanwhile, then the full list', async () => {
    const f = fakeSource();
    const presence = new Presence('room', f.source);
    f.subscribed('new', 1);
    await f.reply(1, { 'user:a': { c: {} }, 'user:b': { c: {} } });
    const events: string[] = [];
    presence.on('join', (m) => events.push(`join ${m.key}`));
    presence.on('leave', (m) => events.push(`leave ${m.key}`));
    presence.on('update', (m) => events.push(`update ${m.key}`));
    presence.on('sync', (list) => events.push(`sync ${list.map((m) => m.key).join(',')}`));
    f.subscribed('reset', 9);
    await f.reply(9, { 'user:b': { c: {} }, 'user:c': { c: {} } });
    expect(events.slice(0, 2).sort()).toEqual(['join user:c', 'leave user:a']);
    expect(events.slice(2)).toEqual(['sync user:b,user:c']);
  });

  it('close() leaves and stops following', async () => {
    const f = fakeSource();
    const presence = new Presence('room', f.source, {});
    await presence.close();
    expect(f.calls).toEqual(['sub $presence:room', 'join room {}', 'leave room']);
  });
});
