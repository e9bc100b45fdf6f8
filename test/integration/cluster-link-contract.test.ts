import { afterEach, describe, expect, it } from 'vitest';
import { RedisBroker } from '../../src/server/broker/redis.js';
import { type ClusterLink, type NodeCall, NodeNotListening, type StoredSession } from '../../src/server/cluster/cluster-link.js';
import { closeAfterTest, closeAll } from '../support/close-after-test.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { useTestRedis } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';

const redis = useTestRedis();

afterEach(closeAll);

/** Heartbeats every nodeTimeout / 4: short, so that a silent node is found within a test. */
const NODE_TIMEOUT = 400;
const SESSION_TTL = 60_000;

/** Every cluster link, made for a store at `url` (one store per test, shared by the nodes made with the same `prefix`). */
const kinds: Array<{ name: string; skip: boolean; make: (url: string, prefix: string) => ClusterLink }> = [
  {
    name: 'redis',
    skip: !redis.available,
    make: (url, prefix) => closeAfterTest(new RedisBroker({ url, prefix, nodeTimeout: NODE_TIMEOUT })).cluster(),
  },
];

/** One server node as its link sees it: what other nodes asked it, which dead nodes it was told to clean up after. */
interface TestNode {
  link: ClusterLink;
  calls: NodeCall[];
  died: string[];
  fenced: number;
}

function record(handled: number, frames: StoredSession['frames'] = []): Omit<StoredSession, 'node'> {
  return { secretHash: 'hash', user: 'user:1', handled, frames };
}

/** The same contract for every cluster link: what ClusterSessions and the HTTP endpoints rely on. */
for (const kind of kinds) {
  describe.skipIf(kind.skip)(`cluster link contract: ${kind.name}`, () => {
    /** A node joined to the cluster of `prefix`; a call of kind `release` it never answers. */
    async function join(prefix: string, url = redis.url): Promise<TestNode> {
      const link = kind.make(url, prefix);
      const node: TestNode = { link, calls: [], died: [], fenced: 0 };
      closeAfterTest(link);
      await link.start(
        {
          call: (call) => {
            node.calls.push(call);
            if (call.kind === 'release') return new Promise(() => {});
            return Promise.resolve({ status: 200, body: `${link.nodeId} answers ${call.kind}` });
          },
          sessions: () => [],
          nodeDied: async (dead) => void node.died.push(dead),
          fenced: () => void node.fenced++,
        },
        SESSION_TTL,
      );
      return node;
    }

    it('counts a node that joined alive, and one that never joined or left not', async () => {
      const prefix = redis.prefix('alive');
      const [a, b, c] = [await join(prefix), await join(prefix), await join(prefix)];
      expect(a.link.nodeId).not.toBe(b.link.nodeId);
      expect(await a.link.isAlive(b.link.nodeId)).toBe(true);
      expect(await a.link.isAlive('never-joined')).toBe(false);
      const left = c.link.nodeId;
      await c.link.close();
      expect(await a.link.isAlive(left)).toBe(false);
      expect(a.link.lapsed()).toBe(false);
      expect(await a.link.confirmAlive()).toBe(true);
    });

    it('answers a call through the called node’s handlers; a node that does not listen or does not answer in time fails the call', async () => {
      const prefix = redis.prefix('calls');
      const [a, b] = [await join(prefix), await join(prefix)];
      const answer = await a.link.call(b.link.nodeId, { kind: 'send', token: 't', body: 'frames' }, 5_000);
      expect(answer).toEqual({ status: 200, body: `${b.link.nodeId} answers send` });
      expect(b.calls).toEqual([{ kind: 'send', token: 't', body: 'frames' }]);
      expect(a.calls).toEqual([]);
      await expect(a.link.call('never-joined', { kind: 'bye', sid: 's' }, 5_000)).rejects.toBeInstanceOf(NodeNotListening);
      const unanswered = a.link.call(b.link.nodeId, { kind: 'release', sid: 's' }, 300);
      await expect(unanswered).rejects.toThrow(/did not answer/);
      await expect(unanswered).rejects.not.toBeInstanceOf(NodeNotListening);
    });

    it('keeps a session record any node reads: its holder, handled count and kept frames in order, acknowledged ones dropped', async () => {
      const prefix = redis.prefix('records');
      const [a, b] = [await join(prefix), await join(prefix)];
      expect(await b.link.loadSession('s1')).toBeNull();
      expect(await a.link.saveSession('s1', record(2, [{ n: 1, text: '{"t":"msg","d":1}' }]))).toBe(true);
      expect(await a.link.keepFrame('s1', 2, '{"t":"msg","d":2}')).toBe(true);
      expect(await a.link.keepFrame('s1', 3, '{"t":"msg","d":3}')).toBe(true);
      expect(await a.link.dropFrames('s1', 1)).toBe(true);
      expect(await a.link.recordHandled('s1', 5)).toBe(true);
      expect(await b.link.loadSession('s1')).toEqual({
        secretHash: 'hash',
        user: 'user:1',
        node: a.link.nodeId,
        handled: 5,
        frames: [
          { n: 2, text: '{"t":"msg","d":2}' },
          { n: 3, text: '{"t":"msg","d":3}' },
        ],
      });
      expect(await a.link.deleteSession('s1')).toBe(true);
      expect(await b.link.loadSession('s1')).toBeNull();
    });

    it('fences record writes: a record held by another node is taken over only from its holder, whose writes then change nothing', async () => {
      const prefix = redis.prefix('fencing');
      const [a, b] = [await join(prefix), await join(prefix)];
      await a.link.saveSession('s1', record(1));
      expect(await b.link.saveSession('s1', record(9))).toBe(false);
      expect(await b.link.saveSession('s1', record(9), 'some-other-node')).toBe(false);
      expect(await b.link.recordHandled('s1', 9)).toBe(false);
      expect(await b.link.deleteSession('s1')).toBe(false);
      expect(await a.link.loadSession('s1')).toMatchObject({ node: a.link.nodeId, handled: 1 });

      expect(await b.link.saveSession('s1', record(1, [{ n: 1, text: 'kept' }]), a.link.nodeId)).toBe(true);
      expect(await a.link.keepFrame('s1', 2, 'late')).toBe(false);
      expect(await a.link.dropFrames('s1', 1)).toBe(false);
      expect(await a.link.recordHandled('s1', 7)).toBe(false);
      expect(await a.link.deleteSession('s1')).toBe(false);
      expect(await a.link.loadSession('s1')).toEqual({ ...record(1, [{ n: 1, text: 'kept' }]), node: b.link.nodeId });
    });

    it('hands the presence channels a node tracked to the node that takes them, once', async () => {
      const prefix = redis.prefix('presence');
      const [a, b] = [await join(prefix), await join(prefix)];
      await a.link.trackPresence('$presence:room-1');
      await a.link.trackPresence('$presence:room-2');
      await a.link.trackPresence('$presence:room-1');
      expect((await b.link.takePresence(a.link.nodeId)).sort()).toEqual(['$presence:room-1', '$presence:room-2']);
      expect(await b.link.takePresence(a.link.nodeId)).toEqual([]);
    });

    it('does not declare dead a node that goes on heartbeating', async () => {
      const prefix = redis.prefix('heartbeating');
      const [a, b] = [await join(prefix), await join(prefix)];
      expect(await a.link.declareDead(b.link.nodeId, false)).toBe(false);
      expect(await a.link.isAlive(b.link.nodeId)).toBe(true);
      expect([...a.died, ...b.died]).toEqual([]);
    });

    it('takes a node cut off from the store for dead, tells exactly one live node to clean up after it, and the node rejoins under a new id with its sessions ended', async () => {
      const prefix = redis.prefix('silent');
      const proxy = closeAfterTest(new FaultProxy(redis.server.port, { cutAfter: null, stallChance: 0, delay: [0, 0] }));
      const [a, b] = [await join(prefix), await join(prefix)];
      const c = await join(prefix, `redis://127.0.0.1:${await proxy.listen()}`);
      const silent = c.link.nodeId;
      proxy.linkDown();
      await waitFor(() => a.died.length + b.died.length > 0, 'a live node told to clean up after the silent one', 5_000);
      expect(await a.link.isAlive(silent)).toBe(false);
      expect([...a.died, ...b.died]).toEqual([silent]);
      expect(await a.link.declareDead(silent, false)).toBe(true); // already dead: nobody is told again
      expect([...a.died, ...b.died]).toEqual([silent]);

      proxy.linkUp();
      await waitFor(() => c.fenced === 1, 'the silent node learns it was taken for dead', 10_000);
      expect(c.link.nodeId).not.toBe(silent);
      await waitFor(() => a.link.isAlive(c.link.nodeId), 'the node alive again under its new id', 10_000);
      expect(await a.link.isAlive(silent)).toBe(false);
    });

    it('declares a listening node dead at once when asked to (its call failed), and the node finds out at its next heartbeat', async () => {
      const prefix = redis.prefix('declared');
      const [a, b] = [await join(prefix), await join(prefix)];
      const old = b.link.nodeId;
      expect(await a.link.declareDead(old, true)).toBe(true);
      expect(a.died).toEqual([old]);
      await waitFor(() => b.fenced === 1, 'the node learns it was taken for dead', 5_000);
      expect(b.link.nodeId).not.toBe(old);
      await waitFor(() => a.link.isAlive(b.link.nodeId), 'the node alive again under its new id', 5_000);
      const answer = await a.link.call(b.link.nodeId, { kind: 'bye', sid: 's' }, 5_000);
      expect(answer.status).toBe(200);
      await expect(a.link.call(old, { kind: 'bye', sid: 's' }, 5_000)).rejects.toBeInstanceOf(NodeNotListening);
    });
  });
}
