import { afterAll, describe, expect, it } from 'vitest';
import { longPolling, sse, type TransportDefinition, websocket } from '../../src/client/index.js';
import { closeAfterTest, closeAll } from '../support/close-after-test.js';
import { requireProgram } from '../support/external-program.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { NodeProcess } from '../support/node-process.js';
import { REDIS_SERVER, TestRedis } from '../support/redis-server.js';
import { delay, waitFor } from '../support/wait.js';
import { HonestPeer, honestReport, HostilePeers } from './soak-peers.js';

/**
 * How long the faults go on: `npm run chaos` sets SOAK_SECONDS (240 s). `npm test` leaves the soak out
 * until it holds (issue 14): its 16 s version (SOAK_SECONDS=16) failed one of three clean CI runs.
 */
const SECONDS = Number(process.env.SOAK_SECONDS ?? 0);
const CHANNELS = 3;
const TRANSPORTS: TransportDefinition[] = [websocket, sse, longPolling];
/** The memory budget each node runs with (memory.processBytes): what its sessions may hold, in bytes. */
const PROCESS_BUDGET = 24 * 1024 * 1024;
/** And its resident memory must stay under this: the budget plus what any Node server process needs. */
const RSS_LIMIT = Number(process.env.SOAK_RSS_MB ?? 320) * 1024 * 1024;
const NODE_OPTIONS = {
  heartbeatInterval: 2_000,
  sessionTtl: 30_000,
  handshakeTimeout: 3_000,
  memory: { processBytes: PROCESS_BUDGET, addressBytes: PROCESS_BUDGET / 2 },
};

const redisProgram = requireProgram(REDIS_SERVER, 'redis-server');
afterAll(closeAll);

/** A node's memory as the soak samples it: what its budget counts (from /metrics) and its RSS. */
interface MemorySample {
  counted: number;
  budget: number;
  rss: number;
}

async function sample(node: NodeProcess): Promise<MemorySample> {
  const text = await (await fetch(`${node.url}/metrics`, { signal: AbortSignal.timeout(2_000) })).text();
  const metric = (name: string): number => Number(new RegExp(`^pushwire_${name} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { counted: metric('memory_bytes'), budget: metric('memory_budget_bytes'), rss: node.residentBytes() };
}

describe.skipIf(!redisProgram.available || SECONDS === 0)(
  'soak: two nodes on Redis, honest and hostile peers on every transport, faults',
  () => {
    it(
      `for ${SECONDS} s of Redis pauses and a restart, paused nodes and cut connections, honest peers lose and duplicate nothing silently, and each node's memory stays under its budget`,
      async () => {
        const redis = closeAfterTest(await TestRedis.start(), (server) => server.stop());
        const nodes = [
          closeAfterTest(await NodeProcess.start(redis.url, 'soak:', NODE_OPTIONS), (node) => node.kill()),
          closeAfterTest(await NodeProcess.start(redis.url, 'soak:', NODE_OPTIONS), (node) => node.kill()),
        ] as const;
        const ports = nodes.map((node) => node.port);
        // Each honest peer reaches the nodes through a proxy that cuts, stalls and delays; the proxies
        // swap nodes now and then (a load balancer's choice), so reconnects move sessions between nodes.
        const faults = {
          cutAfter: [500, 4_000] as [number, number],
          stallChance: 0.05,
          stallFor: [5, 80] as [number, number],
          delay: [0, 3] as [number, number],
        };
        const proxies = [closeAfterTest(new FaultProxy(ports[0]!, faults)), closeAfterTest(new FaultProxy(ports[1]!, faults))];
        const proxyPorts = await Promise.all(proxies.map((proxy) => proxy.listen()));
        const peers = TRANSPORTS.flatMap((transport, t) =>
          [0, 1].map((side) =>
            closeAfterTest(new HonestPeer(t * 2 + side, transport, `http://127.0.0.1:${proxyPorts[side]}/pushwire`, CHANNELS), (peer) =>
              peer.client.close(),
            ),
          ),
        );
        await waitFor(() => peers.every((peer) => peer.subscribed >= CHANNELS), 'every honest peer subscribed', 20_000);
        const hostile = closeAfterTest(new HostilePeers(nodes.map((node) => node.url)));

        const memory = { samples: 0, maxCounted: 0, maxRss: 0, overBudget: [] as string[] };
        const paused = new Set<NodeProcess>();
        const watchMemory = async (): Promise<void> => {
          for (const node of nodes) {
            if (paused.has(node)) continue;
            const now = await sample(node).catch(() => null);
            if (!now) continue;
            memory.samples++;
            memory.maxCounted = Math.max(memory.maxCounted, now.counted);
            memory.maxRss = Math.max(memory.maxRss, now.rss);
            if (!(now.counted <= now.budget) || now.rss > RSS_LIMIT) memory.overBudget.push(`${node.port}: ${JSON.stringify(now)}`);
          }
        };

        /** Proxy i leads to node (i + swapped) % 2, or every proxy to node `only` (the other is down). */
        let swapped = 0;
        const route = (only?: number): void => proxies.forEach((proxy, i) => void (proxy.upstreamPort = ports[only ?? (i + swapped) % 2]!));
        const pauseNode = async (index: number, ms: number): Promise<void> => {
          const node = nodes[index]!;
          route(1 - index);
          paused.add(node);
          node.pause();
          await delay(ms);
          node.resume();
          paused.delete(node);
          route();
        };
        const pauseRedis = async (ms: number): Promise<void> => {
          redis.pause();
          await delay(ms);
          redis.resume();
        };
        // One cycle of faults, spread over (at least) 16 s; the long soak repeats it.
        const cycle: Array<[string, () => Promise<void>]> = [
          ['node 1 paused 3 s', () => pauseNode(0, 3_000)], // past the nodes' 2 s nodeTimeout: its sessions are taken over
          ['Redis paused 1.5 s', () => pauseRedis(1_500)],
          ['Redis restarted', () => redis.restart()], // without persistence: every epoch changes, records are lost
          ['node 2 paused 3 s', () => pauseNode(1, 3_000)],
        ];
        const faultLog: string[] = [];
        const started = Date.now();
        const end = started + SECONDS * 1_000;
        const step = Math.max(4_000, (SECONDS * 1_000) / Math.max(cycle.length, Math.round(SECONDS / 16) * cycle.length));
        let nextFault = started + step / 2;
        let nextSwap = started + 2_500;
        let nextWave = started;
        let faultsDone = 0;
        let running: Promise<void> = Promise.resolve();
        while (Date.now() < end) {
          for (const peer of peers) peer.publish();
          if (Date.now() >= nextFault) {
            nextFault += step;
            const [name, fault] = cycle[faultsDone++ % cycle.length]!;
            await running;
            faultLog.push(`${((Date.now() - started) / 1000).toFixed(1)} s ${name}`);
            running = fault();
          }
          if (Date.now() >= nextSwap && paused.size === 0) {
            nextSwap += 2_500;
            swapped = 1 - swapped;
            route();
          }
          if (Date.now() >= nextWave) {
            nextWave += 1_000;
            hostile.wave();
            await watchMemory();
          }
          await delay(50);
        }
        await running;

        // The faults stop; every honest peer publishes once more, and everything settles.
        for (const proxy of proxies) proxy.setFaults({ cutAfter: null, stallChance: 0, delay: [0, 0] });
        hostile.close();
        for (const peer of peers) peer.publish();
        const reached = (): boolean =>
          peers.every((peer) => peer.unsettled === 0) &&
          peers.every((subscriber) =>
            peers.every((publisher) => subscriber.received(publisher.ownChannel, publisher.id).has(publisher.lastAcknowledged)),
          );
        await waitFor(reached, 'every acknowledged publish reached every honest peer', 60_000).catch(() => {});
        await watchMemory();

        const report = honestReport(peers);
        const counters = await Promise.all(nodes.map(async (node) => (await fetch(`${node.url}/metrics`)).text()));
        const limitHits = counters.map((text) =>
          [...text.matchAll(/^pushwire_limit_hits_total\{limit="(\w+)"\} (\d+)$/gm)]
            .filter(([, , n]) => n !== '0')
            .map(([, limit, n]) => `${limit}=${n}`)
            .join(' '),
        );
        console.log(
          `[soak] ${SECONDS} s, faults: ${faultLog.join('; ')}\n` +
            `${JSON.stringify({ ...report, hostileWaves: hostile.waves.count, cuts: proxies.map((proxy) => proxy.stats.cuts) })}\n` +
            `memory: ${memory.samples} samples, most counted ${(memory.maxCounted / 1e6).toFixed(1)} MB of a ${PROCESS_BUDGET / 1e6} MB budget, most RSS ${(memory.maxRss / 1e6).toFixed(0)} MB (limit ${RSS_LIMIT / 1e6} MB)\n` +
            `limit hits per node: ${limitHits.join(' | ')}`,
        );

        expect(faultsDone, 'every kind of fault struck').toBeGreaterThanOrEqual(cycle.length);
        expect(report.published).toBeGreaterThan(0);
        expect(report.closed, 'no honest client was shut out').toEqual([]);
        expect(report.duplicates, 'nothing delivered twice').toBe(0);
        expect(report.silentlyLost, 'every acknowledged publish arrived, or a reset said it was lost').toBe(0);
        expect(reached(), 'every acknowledged publish reached every honest peer').toBe(true);
        for (const code of Object.keys(report.rejected))
          expect(code, 'publishes fail only explicitly, with the session').toBe('session_lost');
        expect(report.requests.wrong, 'every answer is its own request’s').toBe(0);
        for (const code of Object.keys(report.requests.failed)) expect(code).toBe('session_lost');
        expect(report.echoedTwice, 'no message handled twice').toBe(0);
        expect(memory.samples).toBeGreaterThan(SECONDS);
        expect(memory.overBudget, 'each node under its memory budget and RSS limit throughout').toEqual([]);
      },
      SECONDS * 1_000 + 150_000,
    );
  },
);
