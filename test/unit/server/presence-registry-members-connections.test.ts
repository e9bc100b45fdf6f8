// @vitest-environment node
import { afterEach, describe, expect, it } from 'vitest';
import type { Session } from '../../../src/server/options.js';
import { PresenceRefusal } from '../../../src/server/presence/presence-registry.js';
import { closeAll } from '../../support/close-after-test.js';
import { presenceFixture } from '../../support/presence-fixture.js';

afterEach(closeAll);

describe('PresenceRegistry', () => {
  it('keys members by user: two sessions of one user are one member with two connections', async () => {
    const { registry, doc, session } = presenceFixture();
    const tab1 = session('ann');
    const tab2 = session({ id: 'ann', name: 'Ann' });
    await registry.join(tab1, 'room', { tab: 1 });
    await registry.join(tab2, 'room', { tab: 2 });
    await registry.join(session(null), 'room', { anon: true });
    const state = (await doc())!;
    expect(Object.keys(state).sort()).toEqual([expect.stringMatching(/^anon:/), 'user:ann']);
    expect(Object.values(state['user:ann']!)).toEqual([{ tab: 1 }, { tab: 2 }]);
  });

  it('a join with the same metadata publishes nothing; new metadata replaces the old', async () => {
    const { registry, doc, broker, session } = presenceFixture();
    const s = session('bo');
    const first = await registry.join(s, 'room', { v: 1 });
    const again = await registry.join(s, 'room', { v: 1 });
    expect(again.seq).toBe(first.seq);
    await registry.join(s, 'room', { v: 2 });
    expect(Object.values((await doc())!['user:bo']!)).toEqual([{ v: 2 }]);
    expect((await broker.history('$presence:room', {})).head).toBe(2);
  });

  it('leaving removes the connection, then the member, and the last one out leaves no state behind', async () => {
    const { registry, doc, session } = presenceFixture();
    const a1 = session('a');
    const a2 = session('a');
    const b = session('b');
    for (const s of [a1, a2, b]) await registry.join(s, 'room', {});
    await registry.leave(a1, 'room');
    expect(Object.keys((await doc())!['user:a']!)).toHaveLength(1);
    await registry.leaveAll(a2);
    expect(Object.keys((await doc())!)).toEqual(['user:b']);
    await registry.leave(b, 'room');
    expect(await doc()).toBeNull();
    await registry.leave(b, 'room'); // not joined: nothing happens
  });

  it('a session that ends while its join is on the way leaves no ghost entry', async () => {
    const { registry, doc, session } = presenceFixture();
    const s = session('ghost');
    const joining = registry.join(s, 'room', {});
    s.ended = true;
    await registry.leaveAll(s); // what the server does when the session ends
    await joining;
    await registry.settled();
    expect(await doc()).toBeNull();
  });

  it('refuses metadata over the byte limit and members over the count limit, changing nothing', async () => {
    const { registry, doc, session } = presenceFixture({ maxMetaBytes: 16, maxMembers: 1 });
    await expect(registry.join(session('x'), 'room', { long: 'x'.repeat(20) })).rejects.toBeInstanceOf(PresenceRefusal);
    await registry.join(session('y'), 'room', {});
    const full = registry.join(session('z'), 'room', {});
    await expect(full).rejects.toMatchObject({ code: 'limit_exceeded' });
    expect(Object.keys((await doc())!)).toEqual(['user:y']);
  });

  it('uses the key hook when given', async () => {
    const { registry, doc, session } = presenceFixture({ key: (s: Session) => `team:${(s.user as { team: string }).team}` });
    await registry.join(session({ team: 'red' }), 'room', {});
    await registry.join(session({ team: 'red' }), 'room', {});
    expect(Object.keys((await doc())!)).toEqual(['team:red']);
  });
});
