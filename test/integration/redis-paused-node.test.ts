import { afterAll, describe, expect, it } from 'vitest';
import { openClient } from '../support/client-harness.js';
import { closeAfterTest, closeAll } from '../support/close-after-test.js';
import { controlledWebSocket } from '../support/controlled-websocket.js';
import { requireProgram } from '../support/external-program.js';
import { NodeProcess } from '../support/node-process.js';
import { REDIS_SERVER, TestRedis } from '../support/redis-server.js';
import { delay, waitFor } from '../support/wait.js';

// A node frozen (SIGSTOP) past `nodeTimeout` (2 s in the fixture) while its client moves to another
// node, then thawed (SIGCONT) with the client's frames still in its socket (issue 14, finding 2).
const redisProgram = requireProgram(REDIS_SERVER, 'redis-server');

afterAll(closeAll);

const wsUrl = (node: NodeProcess): string => `${node.url.replace(/^http/, 'ws')}/ws`;

describe.skipIf(!redisProgram.available)('a node paused past nodeTimeout, then resumed', () => {
  it('handles nothing a second time and leaves the record of the node that took its session over alone', async () => {
    const redis = closeAfterTest(await TestRedis.start(), (started) => started.stop());
    // A short session TTL (records outlive it twice): a paused node that still thought it held the
    // session would expire it soon after it resumes, and delete its record.
    const [a, b] = [
      closeAfterTest(await NodeProcess.start(redis.url, 'paused:', { sessionTtl: 5_000 }), (node) => node.kill()),
      closeAfterTest(await NodeProcess.start(redis.url, 'paused:', { sessionTtl: 5_000 }), (node) => node.kill()),
    ];
    const network = controlledWebSocket();
    const client = await openClient(a.url, { WebSocket: network.WebSocket });
    const opens: Array<{ resumed: boolean; moved: boolean }> = [];
    client.on('open', ({ resumed, moved }) => opens.push({ resumed, moved }));
    const echoes: unknown[] = [];
    client.on('message', (data) => echoes.push(data));
    await client.send({ n: 0 });

    a.pause();
    const sends = [1, 2, 3].map((n) => client.send({ n }, { timeout: 20_000 }));
    await delay(2_500); // the frames wait in A's socket; A's last heartbeat is now older than nodeTimeout
    network.route = wsUrl(b);
    network.sockets.at(-1)!.terminate();
    await Promise.all(sends); // B took the session over from dead A, without asking it, and handled them
    await waitFor(() => echoes.length === 4, 'the echoes, from B', 10_000);
    expect(b.output.filter((line) => line.startsWith('handled'))).toEqual(['handled {"n":1}', 'handled {"n":2}', 'handled {"n":3}']);

    a.resume();
    await delay(6_000); // longer than A's session TTL
    const handledByA = a.output.filter((line) => line.startsWith('handled'));

    // The record is still B's and whole: the client moves on again (to A) and its session goes on.
    network.route = wsUrl(a);
    network.sockets.at(-1)!.terminate();
    await waitFor(() => opens.length === 2, 'the second move', 15_000);
    expect({ handledByA, opens }).toEqual({
      handledByA: ['handled {"n":0}'],
      opens: [
        { resumed: true, moved: true },
        { resumed: true, moved: true },
      ],
    });
    await client.send({ n: 4 });
    expect(a.output.filter((line) => line.startsWith('handled'))).toEqual(['handled {"n":0}', 'handled {"n":4}']);
    expect(echoes).toHaveLength(5);
  }, 60_000);
});
