import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { longPolling, sse, websocket, type PushwireClient } from '../../src/client/index.js';
import { presence } from '../../src/sync/index.js';
import { connectClient, openClient } from '../support/client-harness.js';
import { closeAfterTest, closeAll } from '../support/close-after-test.js';
import { controlledWebSocket } from '../support/controlled-websocket.js';
import { requireProgram } from '../support/external-program.js';
import { NGINX, startBalancer, type RunningNginx } from '../support/nginx.js';
import { NodeProcess } from '../support/node-process.js';
import { REDIS_SERVER, TestRedis } from '../support/redis-server.js';
import { delay, waitFor } from '../support/wait.js';

// Session state on Redis (issue 7): three server processes behind a round-robin nginx (no sticky
// sessions), clients on every transport, nodes killed with SIGKILL.
const redisProgram = requireProgram(REDIS_SERVER, 'redis-server');
const nginxProgram = requireProgram(NGINX, 'nginx (Debian package nginx-light), for the load balancer,');
const available = redisProgram.available && nginxProgram.available;

let redis: TestRedis | undefined;
let balancer: RunningNginx | undefined;
const nodes: NodeProcess[] = [];

beforeAll(async () => {
  if (!available) return;
  redis = closeAfterTest(await TestRedis.start(), (started) => started.stop());
  for (let i = 0; i < 3; i++) nodes.push(closeAfterTest(await NodeProcess.start(redis.url, 'cluster:'), (node) => node.kill()));
  balancer = closeAfterTest(await startBalancer(nodes.map((node) => node.port)), (nginx) => nginx.stop());
}, 30_000);

afterAll(closeAll);

/** Sum of a counter over the nodes still alive, read from their Prometheus endpoints. */
async function counter(name: string, alive: NodeProcess[]): Promise<number> {
  let total = 0;
  for (const node of alive) {
    const text = await (await fetch(`${node.url}/metrics`)).text();
    for (const line of text.split('\n')) if (line.startsWith(`pushwire_${name}`)) total += Number(line.split(' ').pop());
  }
  return total;
}

interface Listener {
  client: PushwireClient;
  got: unknown[];
  statuses: string[];
}

function listen(client: PushwireClient, channel: string): Listener {
  const listener: Listener = { client, got: [], statuses: [] };
  client.subscribe(channel, { onMessage: (data) => listener.got.push(data), onSubscribed: (info) => listener.statuses.push(info.status) });
  return listener;
}

const viaBalancer = (transport: typeof sse): PushwireClient =>
  connectClient(balancer!.url, { transports: [transport], welcomeTimeout: 5_000 });

describe.skipIf(!available)('sessions on Redis, three nodes behind a round-robin balancer', () => {
  it('SSE and long-polling work without sticky sessions: POSTs and polls that land on another node are passed on', async () => {
    const listeners = [viaBalancer(sse), viaBalancer(sse), viaBalancer(longPolling), viaBalancer(longPolling)].map((client) =>
      listen(client, 'round-robin'),
    );
    await waitFor(() => listeners.every((l) => l.statuses.length === 1), 'all subscribed', 15_000);

    const sends: Array<Promise<void>> = [];
    for (let i = 0; i < 50; i++) listeners.forEach((l, k) => sends.push(l.client.publish('round-robin', k * 1000 + i)));
    await Promise.all(sends);
    await waitFor(() => listeners.every((l) => l.got.length >= 200), 'every message everywhere', 20_000);
    await delay(200); // a duplicate arriving late would show
    for (const l of listeners) {
      expect(l.got).toEqual(listeners[0]!.got); // one order for all, nothing twice
      expect(new Set(l.got).size).toBe(200);
    }
    // Each client's own messages arrive in the order it sent them.
    for (let k = 0; k < 4; k++) {
      const own = listeners[0]!.got.filter((n) => Math.floor((n as number) / 1000) === k);
      expect(own).toEqual([...Array(50).keys()].map((i) => k * 1000 + i));
    }
    const answers = await Promise.all(listeners.map((l, k) => l.client.request({ k })));
    expect(answers).toEqual([0, 1, 2, 3].map((k) => ({ answer: { k } })));
    expect(await counter('requests_passed_on_total', nodes)).toBeGreaterThan(0);
    for (const l of listeners) l.client.close();
  }, 60_000);

  it('a node killed while its client’s frames are unacknowledged: the client resumes its session on another node, gets the answer and the echo, and each publish happens once', async () => {
    const network = controlledWebSocket();
    network.route = `${nodes[0]!.url.replace(/^http/, 'ws')}/ws`;
    const client = await openClient(balancer!.url, { WebSocket: network.WebSocket, transports: [websocket] });
    const opens: boolean[] = [];
    client.on('open', (info) => opens.push(info.resumed));
    const echoes: unknown[] = [];
    client.on('message', (data) => echoes.push(data));
    const mine = listen(client, 'crash');
    presence(client, 'crash', { name: 'crashing' });
    const observer = listen(await openClient(nodes[1]!.url), 'crash');
    const watched = presence(observer.client, 'crash');
    await waitFor(() => mine.statuses.length === 1 && observer.statuses.length === 1, 'both subscribed');
    await waitFor(() => watched.list().length === 1, 'the client present');

    // Node 0 handles everything the client sends, but nothing it answers reaches the client.
    network.muteDown = true;
    const request = client.request({ q: 1 });
    const sent = client.send('hello');
    const published = [...Array(20).keys()].map((i) => client.publish('crash', i));
    await waitFor(() => observer.got.length === 20, 'node 0 published all 20', 10_000);
    await delay(300); // its records are written (acks wait for them)

    network.route = `${nodes[1]!.url.replace(/^http/, 'ws')}/ws`;
    await nodes[0]!.kill();
    network.muteDown = false;

    await expect(request).resolves.toEqual({ answer: { q: 1 } });
    await expect(sent).resolves.toBeUndefined();
    await expect(Promise.all(published)).resolves.toHaveLength(20);
    await waitFor(() => mine.got.length === 20 && echoes.length === 1, 'the channel and the echo caught up', 10_000);
    await delay(300);
    expect(opens).toEqual([true]); // the reconnect resumed the session: nothing failed with session_lost
    expect(echoes).toEqual([{ echo: 'hello' }]);
    expect(mine.got).toEqual([...Array(20).keys()]);
    expect(observer.got).toEqual([...Array(20).keys()]); // the resent publishes were not published again
    expect(mine.statuses).toEqual(['new', 'recovered']);
    // The dead node's presence entry goes once its heartbeats stop (node timeout 2 s); the client's
    // new one, joined on node 1, stays.
    await waitFor(
      () => watched.list().length === 1 && Object.keys(watched.list()[0]!.connections).length === 1,
      'one presence entry',
      10_000,
    );
    expect(Object.values(watched.list()[0]!.connections)).toEqual([{ name: 'crashing' }]);
    client.close();
    observer.client.close();
  }, 60_000);

  it('SSE and long-polling clients whose node is killed mid-stream resume on the others: nothing lost, nothing twice', async () => {
    const alive = nodes.slice(1);
    const listeners = [viaBalancer(sse), viaBalancer(longPolling), viaBalancer(sse), viaBalancer(longPolling)].map((client) =>
      listen(client, 'kill'),
    );
    const publisher = connectClient(balancer!.url, { transports: [websocket] });
    await waitFor(() => listeners.every((l) => l.statuses.length === 1) && publisher.state === 'open', 'all subscribed', 15_000);
    const opened = await Promise.all(alive.map((node) => counter('connections', [node])));
    const victim = alive[opened[0]! >= opened[1]! ? 0 : 1]!;

    const sends: Array<Promise<void>> = [];
    for (let i = 0; i < 300; i++) {
      sends.push(publisher.publish('kill', i));
      if (i === 100) await victim.kill();
      if (i % 20 === 0) await delay(10);
    }
    await Promise.all(sends);
    await waitFor(() => listeners.every((l) => l.got.length >= 300), 'all 300 everywhere', 30_000);
    await delay(300);
    for (const l of listeners) expect(l.got).toEqual([...Array(300).keys()]);
    expect(
      await counter(
        'sessions_adopted_total',
        alive.filter((node) => node !== victim),
      ),
    ).toBeGreaterThan(0);
  }, 60_000);
});
