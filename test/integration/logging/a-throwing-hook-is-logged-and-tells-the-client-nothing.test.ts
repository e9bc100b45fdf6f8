import { afterEach, describe, expect, it } from 'vitest';
import { PushwireError } from '../../../src/client/index.js';
import { PublicError, type ServerOptions } from '../../../src/server/index.js';
import { connectClient, openClient } from '../../support/client-harness.js';
import { closeAll } from '../../support/close-after-test.js';
import { RecordingLogger } from '../../support/recording-logger.js';
import { startTestServer } from '../../support/server-harness.js';
import { waitFor } from '../../support/wait.js';

afterEach(closeAll);

/** What an application's exception can hold: nothing of it may reach a page. */
const SECRET = 'connect ECONNREFUSED postgres://admin:hunter2@10.0.0.5:5432/app';

function fail(): never {
  throw new Error(SECRET);
}

async function rejection(promise: Promise<unknown>): Promise<PushwireError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PushwireError);
  return error as PushwireError;
}

/** A server with these hooks logging into a RecordingLogger, the id of the session its client opened, and that client. */
async function setUp(hooks: ServerOptions) {
  const logger = new RecordingLogger();
  const sessions: string[] = [];
  const server = await startTestServer({
    logger,
    ...hooks,
    onConnection: (session) => {
      sessions.push(session.id);
      hooks.onConnection?.(session);
    },
  });
  const client = await openClient(server.url);
  return { logger, client, sid: sessions[0], server };
}

describe('a hook that throws', () => {
  it.each(['onRequest', 'onMessage'] as const)(
    '%s: the client gets handler_error without the thrown text; the server logs session, hook and stack',
    async (hook) => {
      const { logger, client, sid } = await setUp({ [hook]: fail });
      const error = await rejection(hook === 'onRequest' ? client.request({ op: 'balance' }) : client.send({ op: 'balance' }));
      expect(error.code).toBe('handler_error');
      expect(error.message).not.toContain('hunter2');
      expect(error.message).not.toContain('ECONNREFUSED');
      expect(error.appCode).toBeUndefined();

      const [entry] = logger.find('error', hook);
      expect(entry?.fields).toMatchObject({ session: sid, hook, s: expect.any(Number), error: SECRET });
      expect(entry?.fields.stack).toEqual(expect.stringContaining('a-throwing-hook-is-logged')); // where it was thrown
    },
  );

  it.each(['canSubscribe', 'canPublish'] as const)(
    '%s: the frame is refused with handler_error, never allowed; the server logs it',
    async (hook) => {
      const { logger, client, sid } = await setUp({ [hook]: fail, canPublish: hook === 'canPublish' ? fail : () => true });
      const error = await rejection(
        hook === 'canSubscribe'
          ? new Promise((_resolve, reject) => client.subscribe('room', { onMessage: () => {}, onError: reject }))
          : client.publish('room', 'hello'),
      );
      expect(error.code).toBe('handler_error');
      expect(error.message).not.toContain('hunter2');
      expect(logger.find('error', hook)[0]?.fields).toMatchObject({ session: sid, hook, error: SECRET, stack: expect.any(String) });
    },
  );

  it('onConnection: logged with the session; the session works on and the process goes on', async () => {
    const { logger, client, sid } = await setUp({ onConnection: fail, onRequest: () => 'still here' });
    await expect(client.request('ping', { timeout: 5_000 })).resolves.toBe('still here');
    expect(logger.find('error', 'onConnection')[0]?.fields).toMatchObject({ session: sid, hook: 'onConnection', error: SECRET });
  });

  it('onClose, even when it rejects: logged with the session and the reason', async () => {
    const { logger, client, sid } = await setUp({ onClose: () => Promise.reject(new Error(SECRET)) });
    await client.close();
    await waitFor(() => logger.find('error', 'onClose').length > 0, 'the onClose failure to be logged');
    expect(logger.find('error', 'onClose')[0]?.fields).toMatchObject({ session: sid, hook: 'onClose', reason: 'bye', error: SECRET });
  });

  it('authorize: the handshake is refused without the thrown text; the server logs transport, address and stack', async () => {
    const logger = new RecordingLogger();
    const server = await startTestServer({ logger, authorize: fail });
    const client = connectClient(server.url);
    const closed = new Promise<{ code: number; reason: string }>((resolve) => client.on('close', (info) => resolve(info)));
    const { code, reason } = await closed;
    expect(code).toBe(4200);
    expect(reason).not.toContain('hunter2');
    expect(logger.find('error', 'authorize')[0]?.fields).toMatchObject({
      hook: 'authorize',
      transport: 'websocket',
      remoteAddress: '127.0.0.1',
      error: SECRET,
      stack: expect.any(String),
    });
  });
});

describe('a hook that throws a PublicError', () => {
  it('onRequest and onMessage: the client gets its code, message and data', async () => {
    const notFound = (): never => {
      throw new PublicError('not_found', 'no such room', { room: 'lobby' });
    };
    const { logger, client } = await setUp({ onRequest: notFound, onMessage: notFound });
    for (const error of [await rejection(client.request('x')), await rejection(client.send('x'))]) {
      expect(error).toMatchObject({ code: 'handler_error', appCode: 'not_found', message: 'no such room', data: { room: 'lobby' } });
    }
    expect(logger.find('error', 'hook')).toEqual([]); // an answer the application chose, not a failure
  });

  it('canSubscribe: the refused subscription carries them too', async () => {
    const { client } = await setUp({
      canSubscribe: () => {
        throw new PublicError('upgrade_needed', 'this channel is for subscribers', { plan: 'pro' });
      },
    });
    const error = await rejection(new Promise((_resolve, reject) => client.subscribe('room', { onMessage: () => {}, onError: reject })));
    expect(error).toMatchObject({
      code: 'handler_error',
      appCode: 'upgrade_needed',
      message: 'this channel is for subscribers',
      data: { plan: 'pro' },
    });
  });
});
