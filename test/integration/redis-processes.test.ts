import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PushwireClient } from '../../src/client/index.js';
import { openClient } from '../support/client-harness.js';
import { closeAfterTest, closeAll } from '../support/close-after-test.js';
import { controlledWebSocket, type NetworkSwitch } from '../support/controlled-websocket.js';
import { requireProgram } from '../support/external-program.js';
import { NodeProcess } from '../support/node-process.js';
import { REDIS_SERVER, TestRedis } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';

const redisProgram = requireProgram(REDIS_SERVER, 'redis-server');
let redis: TestRedis | undefined;
const nodes: NodeProcess[] = [];

beforeAll(async () => {
  if (!redisProgram.available) return;
  redis = closeAfterTest(await TestRedis.start(), (started) => started.stop());
  for (let i = 0; i < 3; i++) nodes.push(closeAfterTest(await NodeProcess.start(redis.url, 'procs:'), (node) => node.kill()));
}, 30_000);

afterAll(closeAll);

interface Member {
  client: PushwireClient;
  network: NetworkSwitch;
  got: number[];
  statuses: string[];
}

async function member(node: NodeProcess): Promise<Member> {
  const network = controlledWebSocket();
  const client = await openClient(node.url, { WebSocket: network.WebSocket });
  const m: Member = { client, network, got: [], statuses: [] };
  client.subscribe<number>('room', { onMessage: (n) => m.got.push(n), onSubscribed: (info) => m.statuses.push(info.status) });
  await waitFor(() => m.statuses.length === 1, 'subscribed');
  return m;
}

describe.skipIf(!redisProgram.available)('three server processes on one Redis', () => {
  it('clients on different nodes see each other’s messages in one order, and a killed node’s clients resume elsewhere losing nothing', async () => {
    const members = [await member(nodes[0]!), await member(nodes[1]!), await member(nodes[2]!)];
    let sent = 0;
    const publishRound = async (count: number, from: Member[]): Promise<void> => {
      const sends: Array<Promise<void>> = [];
      for (let i = 0; i < count; i++) sends.push(from[i % from.length]!.client.publish('room', ++sent));
      await Promise.all(sends);
    };

    await publishRound(300, members);
    await waitFor(() => members.every((m) => m.got.length === 300), 'first 300 everywhere', 20_000);
    expect(members[1]!.got).toEqual(members[0]!.got);
    expect(members[2]!.got).toEqual(members[0]!.got);

    // Node 2 dies mid-stream; its client's next connection lands on node 3 (the load balancer's choice).
    members[1]!.network.route = `${nodes[2]!.url.replace(/^http/, 'ws')}/ws`;
    const publishing = publishRound(300, [members[0]!, members[2]!]);
    await nodes[1]!.kill();
    await publishing;
    await waitFor(() => members.every((m) => m.got.length === 600), 'all 600 everywhere', 20_000);

    for (const m of members) {
      expect(m.got).toEqual(members[0]!.got); // one order for all, nothing lost, nothing twice
      expect(new Set(m.got).size).toBe(600);
    }
    expect(members[1]!.statuses).toEqual(['new', 'recovered']);
  }, 60_000);
});
