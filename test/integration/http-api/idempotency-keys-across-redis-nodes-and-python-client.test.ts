import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisBroker } from '../../../src/server/broker/redis.js';
import { openClient } from '../../support/client-harness.js';
import { closeAfterTest, closeAll } from '../../support/close-after-test.js';
import { curl } from '../../support/curl.js';
import { requireProgram } from '../../support/external-program.js';
import { useTestRedis } from '../../support/redis-server.js';
import { startTestServer, type TestServer } from '../../support/server-harness.js';
import { waitFor } from '../../support/wait.js';

const redis = useTestRedis();
const python = requireProgram('/usr/bin/python3', 'python3');
afterEach(closeAll);

const KEY = 'cluster-api-key-0123456789';
const PYTHON_CLIENT = fileURLToPath(new URL('../../fixtures/http_api_client.py', import.meta.url));

/** A server node with the HTTP API on its own connection to the test Redis. */
async function node(prefix: string): Promise<TestServer> {
  const broker = closeAfterTest(new RedisBroker({ url: redis.url, prefix }));
  return startTestServer({ broker, httpApi: { keys: [KEY] } });
}

function publish(server: TestServer, data: unknown, idempotencyKey: string) {
  const body = JSON.stringify({ channel: 'payments', data });
  return curl([
    '-X',
    'POST',
    '-H',
    `Authorization: Bearer ${KEY}`,
    '-H',
    `Idempotency-Key: ${idempotencyKey}`,
    '--data-binary',
    body,
    `${server.url}/api/publish`,
  ]);
}

function runPython(args: string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/python3', [PYTHON_CLIENT, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`python3 failed: ${stderr || error.message}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

describe.skipIf(!redis.available)('idempotency keys on several nodes sharing Redis', () => {
  it('publishes once when a retry with the same key reaches another node, and when both nodes get it at once', async () => {
    const prefix = redis.prefix('idem');
    const [a, b] = [await node(prefix), await node(prefix)];
    const client = await openClient(b.url);
    const got: unknown[] = [];
    const subscribed: string[] = [];
    client.subscribe('payments', { onMessage: (data) => got.push(data), onSubscribed: (info) => subscribed.push(info.status) });
    await waitFor(() => subscribed.length === 1, 'subscribed');

    const first = await publish(a, { paid: 1 }, 'payment-1');
    const retried = await publish(b, { paid: 1 }, 'payment-1');
    const racing = await Promise.all([publish(a, { paid: 2 }, 'payment-2'), publish(b, { paid: 2 }, 'payment-2')]);
    const reused = await publish(b, { paid: 3 }, 'payment-1');
    await b.pushwire.publish('payments', 'marker');
    await waitFor(() => got.includes('marker'), 'everything published has arrived');

    expect(first.json).toMatchObject({ seq: 1, duplicate: false });
    expect(retried.json).toEqual({ ...(first.json as object), duplicate: true });
    expect(racing.map((answer) => (answer.json as { duplicate: boolean }).duplicate).sort()).toEqual([false, true]);
    expect(racing[0]!.json).toMatchObject({ seq: (racing[1]!.json as { seq: number }).seq });
    expect(reused.status).toBe(409);
    expect(got).toEqual([{ paid: 1 }, { paid: 2 }, 'marker']);
  });

  it('keeps a key for its retention only: the Redis key carries the TTL', async () => {
    const prefix = redis.prefix('idem');
    const broker = closeAfterTest(new RedisBroker({ url: redis.url, prefix }));
    const first = await broker.publishIdempotent('c', '1', { key: 'k', fingerprint: 'f', ttl: 150 });
    const retry = await broker.publishIdempotent('c', '1', { key: 'k', fingerprint: 'f', ttl: 150 });
    await waitFor(
      async () => !(await broker.publishIdempotent('c', '1', { key: 'k', fingerprint: 'f', ttl: 150 })).duplicate,
      'key forgotten',
      5_000,
    );
    expect([first.duplicate, retry.duplicate, retry.seq]).toEqual([false, true, first.seq]);
  });
});

describe.skipIf(!python.available || !redis.available)('the HTTP API from a Python backend', () => {
  it('a python3 stdlib client publishes, retries with an Idempotency-Key, is refused without the key, and reads history', async () => {
    const server = await node(redis.prefix('py'));
    const answer = (await runPython([server.url, KEY, 'from-python', 'py-retry-1'])) as {
      first: { status: number; body: { seq: number; duplicate: boolean } };
      retry: { status: number; body: { seq: number; duplicate: boolean }; replayed: string };
      unauthorized: { status: number; body: { error: { code: string } } };
      history: { messages: Array<{ seq: number; data: unknown }> };
    };
    expect(answer.first).toMatchObject({ status: 200, body: { seq: 1, duplicate: false } });
    expect(answer.retry).toMatchObject({ status: 200, body: { seq: 1, duplicate: true }, replayed: 'true' });
    expect(answer.unauthorized).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
    expect(answer.history.messages).toEqual([{ seq: 1, time: expect.any(Number), data: { from: 'python' } }]);
  });
});
