import { afterEach, describe, expect, it } from 'vitest';
import type { CloseInfo } from '../../../src/client/index.js';
import { presence as watchPresence } from '../../../src/sync/index.js';
import { openClient } from '../../support/client-harness.js';
import { closeAll } from '../../support/close-after-test.js';
import { curl, curlAvailable } from '../../support/curl.js';
import { startTestServer, type TestServer } from '../../support/server-harness.js';
import { waitFor } from '../../support/wait.js';

afterEach(closeAll);

const KEY = 'test-api-key-0123456789';
const OLD_KEY = 'previous-api-key-9876543210';

/** A server with the HTTP API on; clients name their user in `auth`. */
function startApiServer(options: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  return startTestServer({
    httpApi: { keys: [KEY, OLD_KEY] },
    authorize: ({ auth }) => ({ ok: true, user: (auth as { user?: string } | undefined)?.user }),
    ...options,
  });
}

/** curl with the API key and a JSON body. */
function post(server: TestServer, endpoint: string, body: unknown, extra: string[] = []) {
  const json = typeof body === 'string' ? body : JSON.stringify(body);
  return curl([
    '-X',
    'POST',
    '-H',
    `Authorization: Bearer ${KEY}`,
    '-H',
    'Content-Type: application/json',
    '--data-binary',
    json,
    ...extra,
    `${server.url}/api${endpoint}`,
  ]);
}

function get(server: TestServer, endpoint: string) {
  return curl(['-H', `Authorization: Bearer ${KEY}`, `${server.url}/api${endpoint}`]);
}

describe.skipIf(!curlAvailable())('the HTTP API, driven by curl', () => {
  it('delivers what curl publishes to a subscribed client and answers with its epoch and sequence number', async () => {
    const server = await startApiServer();
    const client = await openClient(server.url);
    const got: Array<{ data: unknown; seq: number; epoch: string }> = [];
    const subscribed: string[] = [];
    client.subscribe('news', {
      onMessage: (data, info) => got.push({ data, seq: info.seq, epoch: info.epoch }),
      onSubscribed: (i) => subscribed.push(i.status),
    });
    await waitFor(() => subscribed.length === 1, 'subscribed');

    const answer = await post(server, '/publish', { channel: 'news', data: { headline: 'hello from curl', n: 1 } });

    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    await waitFor(() => got.length === 1, 'the client receives it');
    expect(got[0]!.data).toEqual({ headline: 'hello from curl', n: 1 });
    expect(answer.json).toEqual({ channel: 'news', epoch: got[0]!.epoch, seq: got[0]!.seq, duplicate: false });
  });

  it('publishes a retried request with the same Idempotency-Key once and answers the retry with the first position', async () => {
    const server = await startApiServer();
    const client = await openClient(server.url);
    const got: unknown[] = [];
    const subscribed: string[] = [];
    client.subscribe('orders', { onMessage: (data) => got.push(data), onSubscribed: (i) => subscribed.push(i.status) });
    await waitFor(() => subscribed.length === 1, 'subscribed');
    const key = ['-H', 'Idempotency-Key: order-42-shipped'];

    const first = await post(server, '/publish', { channel: 'orders', data: { order: 42 } }, key);
    const retry = await post(server, '/publish', { channel: 'orders', data: { order: 42 } }, key);
    const other = await post(server, '/publish', { channel: 'orders', data: { order: 43 } }, ['-H', 'Idempotency-Key: order-43-shipped']);
    const reused = await post(server, '/publish', { channel: 'orders', data: { order: 44 } }, key);

    expect(first.json).toMatchObject({ seq: 1, duplicate: false });
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(retry.status).toBe(200);
    expect(retry.json).toEqual({ ...(first.json as object), duplicate: true });
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(other.json).toMatchObject({ seq: 2, duplicate: false });
    expect(reused.status).toBe(409);
    expect(reused.json).toMatchObject({ error: { code: 'idempotency_key_reused' } });
    await waitFor(() => got.length === 2, 'two messages');
    const history = await get(server, '/history?channel=orders');
    expect((history.json as { messages: unknown[] }).messages).toHaveLength(2);
    expect(got).toEqual([{ order: 42 }, { order: 43 }]);
  });

  it('refuses requests without a valid API key with 401, and accepts every configured key', async () => {
    const server = await startApiServer();
    const body = ['-X', 'POST', '--data-binary', '{"channel":"x","data":1}'];

    const none = await curl([...body, `${server.url}/api/publish`]);
    const wrong = await curl([...body, '-H', `Authorization: Bearer ${KEY}x`, `${server.url}/api/publish`]);
    const basic = await curl([...body, '-H', `Authorization: Basic ${KEY}`, `${server.url}/api/publish`]);
    const old = await curl([...body, '-H', `Authorization: Bearer ${OLD_KEY}`, `${server.url}/api/publish`]);

    for (const answer of [none, wrong, basic]) {
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toBe('Bearer');
      expect(answer.json).toMatchObject({ error: { code: 'unauthorized' } });
    }
    expect(old.status).toBe(200);
  });

  it('answers bad requests with 400 and a code naming the bad field, 404, 405 and 413', async () => {
    const server = await startApiServer({ maxPayload: 1024 });

    const cases = await Promise.all([
      post(server, '/publish', { channel: 'has space', data: 1 }),
      post(server, '/publish', { channel: 'ok' }),
      post(server, '/publish', { chanel: 'ok', data: 1 }),
      post(server, '/publish', '{"channel":'),
      post(server, '/publish', { channel: '$presence:room', data: 1 }),
      post(server, '/publish', { channel: 'ok', data: { $patch: [] } }),
      post(server, '/state/patch', { channel: 'doc', ops: 'nope' }),
      post(server, '/disconnect', { user: 'a', session: 'b' }),
      post(server, '/disconnect', { user: 'a', code: 1000 }),
      get(server, '/history?channel=x&limit=-1'),
      get(server, '/history?channel=x&after=3'),
      post(server, '/publish', { channel: 'ok', data: 1 }, ['-H', 'Idempotency-Key: has space']),
    ]);
    expect(cases.map((answer) => [answer.status, (answer.json as { error: { code: string; field?: string } }).error])).toEqual([
      [400, expect.objectContaining({ code: 'invalid_channel', field: 'channel' })],
      [400, expect.objectContaining({ code: 'invalid_data', field: 'data' })],
      [400, expect.objectContaining({ code: 'unknown_field', field: 'chanel' })],
      [400, expect.objectContaining({ code: 'invalid_json' })],
      [400, expect.objectContaining({ code: 'invalid_channel', field: 'channel' })],
      [400, expect.objectContaining({ code: 'invalid_data', field: 'data' })],
      [400, expect.objectContaining({ code: 'invalid_ops', field: 'ops' })],
      [400, expect.objectContaining({ code: 'invalid_user', field: 'user' })],
      [400, expect.objectContaining({ code: 'invalid_code', field: 'code' })],
      [400, expect.objectContaining({ code: 'invalid_limit', field: 'limit' })],
      [400, expect.objectContaining({ code: 'invalid_epoch', field: 'epoch' })],
      [400, expect.objectContaining({ code: 'invalid_idempotency_key', field: 'Idempotency-Key' })],
    ]);

    const tooLarge = await post(server, '/publish', { channel: 'big', data: 'x'.repeat(2000) });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.json).toMatchObject({ error: { code: 'too_large' } });
    const unknown = await get(server, '/nothing-here');
    expect([unknown.status, unknown.json]).toEqual([404, { error: expect.objectContaining({ code: 'not_found' }) }]);
    const wrongMethod = await get(server, '/publish');
    expect([wrongMethod.status, wrongMethod.headers.allow]).toEqual([405, 'POST']);
    const form = await curl(['-H', `Authorization: Bearer ${KEY}`, '--data', 'channel=x&data=1', `${server.url}/api/publish`]);
    expect([form.status, form.json]).toEqual([400, { error: expect.objectContaining({ code: 'invalid_json' }) }]);
    const history = await get(server, '/history?channel=big');
    expect(history.json).toMatchObject({ messages: [] }); // nothing refused was published
  });

  it('sets, patches and reads a state document; a patch that does not apply gets 422 and changes nothing', async () => {
    const server = await startApiServer();

    const set = await post(server, '/state/set', { channel: 'score', state: { home: 0, away: 0 } });
    const patched = await post(server, '/state/patch', { channel: 'score', ops: [{ op: 'replace', path: '/home', value: 1 }] });
    const failed = await post(server, '/state/patch', { channel: 'score', ops: [{ op: 'remove', path: '/missing' }] });
    const read = await get(server, '/state?channel=score');

    expect(set.json).toMatchObject({ channel: 'score', seq: 1 });
    expect(patched.json).toMatchObject({ channel: 'score', seq: 2 });
    expect([failed.status, failed.json]).toEqual([422, { error: expect.objectContaining({ code: 'patch_failed', field: 'ops' }) }]);
    expect(read.json).toEqual({ channel: 'score', epoch: (set.json as { epoch: string }).epoch, seq: 2, state: { home: 1, away: 0 } });
  });

  it('reads presence and history: the last N messages, or a page after a position', async () => {
    const server = await startApiServer();
    const alice = await openClient(server.url, { auth: { user: 'alice' } });
    const room = watchPresence(alice, 'room', { status: 'here' });
    await waitFor(() => room.list().length === 1, 'alice present');
    for (let i = 1; i <= 5; i++) await post(server, '/publish', { channel: 'log', data: { i } });

    const members = await get(server, '/presence?channel=room');
    const last = await get(server, '/history?channel=log&limit=2');
    const page = await get(server, `/history?channel=log&epoch=${(last.json as { epoch: string }).epoch}&after=1&limit=3`);
    const gone = await get(server, '/history?channel=log&epoch=another-epoch&after=1');

    const doc = members.json as { channel: string; members: Record<string, Record<string, unknown>> };
    expect(doc.channel).toBe('room');
    expect(Object.keys(doc.members)).toEqual(['user:alice']);
    expect(Object.values(doc.members['user:alice']!)).toEqual([{ status: 'here' }]); // one connection, its metadata
    expect(last.json).toMatchObject({
      channel: 'log',
      head: 5,
      complete: true,
      messages: [
        { seq: 4, data: { i: 4 } },
        { seq: 5, data: { i: 5 } },
      ],
    });
    expect((page.json as { messages: Array<{ seq: number }> }).messages.map((m) => m.seq)).toEqual([2, 3, 4]);
    expect(gone.json).toMatchObject({ complete: false, messages: [] });
  });

  it('disconnects every session of a user, or one session, with close code 4200 unless told another', async () => {
    const sessions = new Map<string, string>();
    const server = await startApiServer({ onConnection: (session) => sessions.set(String(session.user), session.id) });
    const closes: Array<[string, CloseInfo]> = [];
    const alice1 = await openClient(server.url, { auth: { user: 'alice' } });
    const alice2 = await openClient(server.url, { auth: { user: 'alice' } });
    const bob = await openClient(server.url, { auth: { user: 'bob' } });
    alice1.on('close', (info) => closes.push(['alice1', info]));
    alice2.on('close', (info) => closes.push(['alice2', info]));
    bob.on('close', (info) => closes.push(['bob', info]));

    const byUser = await post(server, '/disconnect', { user: 'alice', reason: 'banned' });
    await waitFor(() => closes.length === 2, 'both of alice’s clients closed');
    const bySession = await post(server, '/disconnect', { session: sessions.get('bob'), code: 4103 });
    await waitFor(() => closes.length === 3, 'bob closed');
    const unknown = await post(server, '/disconnect', { session: 'no-such-session' });

    expect(byUser.json).toEqual({ disconnected: 2 });
    expect(closes.map(([who, info]) => [who, info.code, info.reason]).sort()).toEqual([
      ['alice1', 4200, 'banned'],
      ['alice2', 4200, 'banned'],
      ['bob', 4103, 'disconnected by the application'],
    ]);
    expect(bySession.json).toEqual({ disconnected: 1 });
    expect([unknown.status, unknown.json]).toEqual([
      404,
      { error: expect.objectContaining({ code: 'unknown_session', field: 'session' }) },
    ]);
  });

  it('is off unless configured: its paths are unknown endpoints', async () => {
    const server = await startTestServer();
    const answer = await curl(['-X', 'POST', '-H', `Authorization: Bearer ${KEY}`, '--data-binary', '{}', `${server.url}/api/publish`]);
    expect(answer.status).toBe(404);
  });
});
