import type { IncomingMessage, ServerResponse } from 'node:http';
import { PublicError } from './hook-errors.js';
import type { ServerCore } from './core.js';
import type { ServerHooks } from './options.js';
import { readBody } from './transports/http-body.js';
import { answeredByOriginGate } from './transports/http-origin.js';

/**
 * Test mode (docs/PROTOCOL.md, section 15): a control endpoint a conformance kit drives the server side
 * of its checks through, and the application behaviour those checks rely on. Only with the server's
 * `testMode` option: it lets anyone who reaches the server publish anywhere and end any session.
 */

/** Channels clients may publish to in test mode. */
const PUBLISHABLE = 'test:pub:';
/** Channels nobody may subscribe to in test mode. */
const FORBIDDEN = 'test:forbidden:';
/** Largest `count` of one `publish` command (a kit overflows a channel's history with it). */
const MAX_PUBLISH_COUNT = 100_000;
/** Longest `delay` a test-mode request may ask for, ms. */
const MAX_DELAY = 10_000;

function field(data: unknown, name: string): unknown {
  return typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>)[name] : undefined;
}

/** The hooks of a test-mode server: the documented test behaviour first, the application's hooks for the rest. */
export function testModeHooks(hooks: ServerHooks): ServerHooks {
  return {
    ...hooks,
    authorize: (info) => {
      if (field(info.auth, 'refuse') === true) return { ok: false, reason: 'refused by test mode' };
      const user = field(info.auth, 'user');
      if (typeof user === 'string') return { ok: true, user };
      return hooks.authorize?.(info) ?? { ok: true };
    },
    canSubscribe: (session, channel) => !channel.startsWith(FORBIDDEN) && (hooks.canSubscribe?.(session, channel) ?? true),
    canPublish: (session, channel, data) => channel.startsWith(PUBLISHABLE) || (hooks.canPublish?.(session, channel, data) ?? false),
    onMessage: (session, data) => {
      const text = field(data, 'throw');
      if (typeof text === 'string') throw new PublicError('thrown', text);
      return hooks.onMessage?.(session, data);
    },
    onRequest: async (session, data) => {
      const text = field(data, 'throw');
      if (typeof text === 'string') throw new PublicError('thrown', text);
      const delay = field(data, 'delay');
      if (typeof delay === 'number' && delay > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(delay, MAX_DELAY)));
      return hooks.onRequest ? hooks.onRequest(session, data) : { echo: data };
    },
  };
}

/** What the control endpoint needs from the server around it. */
export interface TestControlHost {
  core: ServerCore;
  publish(channel: string, data: unknown): Promise<{ epoch: string; seq: number }>;
  /** Sets a channel's state document (its change goes out as one JSON Patch message). */
  setState(channel: string, doc: unknown): Promise<unknown>;
  /** Messages kept per channel, when the server knows (its own memory broker). */
  historyMessages: number | null;
}

class CommandError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** `POST {path}/test`: one JSON command per request, answered with JSON. */
export async function answerTestCommand(req: IncomingMessage, res: ServerResponse, host: TestControlHost): Promise<void> {
  if (answeredByOriginGate(req, res, host.core)) return;
  const reply = (status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
  };
  if (req.method !== 'POST') return reply(405, { error: 'use POST' });
  try {
    let command: unknown;
    try {
      command = JSON.parse(await readBody(req, 1024 * 1024));
    } catch {
      throw new CommandError(400, 'the body must be one JSON object of at most 1 MiB');
    }
    reply(200, await runCommand(command, host));
  } catch (error) {
    if (error instanceof CommandError) reply(error.status, { error: error.message });
    else reply(400, { error: error instanceof Error ? error.message : String(error) });
  }
}

async function runCommand(command: unknown, host: TestControlHost): Promise<unknown> {
  const { core } = host;
  switch (field(command, 'op')) {
    case 'config':
      return {
        hb: core.options.heartbeatInterval,
        grace: core.options.heartbeatGrace,
        max: core.options.maxPayload,
        handshakeTimeout: core.options.handshakeTimeout,
        sessionTtl: core.options.sessionTtl,
        pollTimeout: core.options.pollTimeout,
        sseKeepalive: core.options.sseKeepalive,
        historyMessages: host.historyMessages,
        outboundFrames: core.options.outboundMaxFrames,
        outboundBytes: core.options.outboundMaxBytes,
        maxSubscriptions: core.limits.maxSubscriptions,
        framesPerSecond: core.limits.framesPerSecond,
        frameBurst: core.limits.frameBurst,
        transports: core.transports,
      };
    case 'publish': {
      const channel = field(command, 'ch');
      const count = field(command, 'count') ?? 1;
      if (typeof channel !== 'string') throw new CommandError(400, 'publish needs a channel "ch"');
      if (!Number.isSafeInteger(count) || (count as number) < 1 || (count as number) > MAX_PUBLISH_COUNT) {
        throw new CommandError(400, `"count" must be an integer from 1 to ${MAX_PUBLISH_COUNT}`);
      }
      let last = { epoch: '', seq: 0 };
      for (let i = 0; i < (count as number); i++) last = await host.publish(channel, field(command, 'd') ?? null);
      return last;
    }
    case 'state': {
      const channel = field(command, 'ch');
      if (typeof channel !== 'string') throw new CommandError(400, 'state needs a channel "ch"');
      return await host.setState(channel, field(command, 'doc') ?? null);
    }
    case 'send':
    case 'close': {
      const session = core.sessions.get(String(field(command, 'sid')));
      if (!session) throw new CommandError(404, 'no such session');
      if (field(command, 'op') === 'send') session.send(field(command, 'd') ?? null);
      else {
        const code = field(command, 'code') ?? 4000;
        if (!Number.isSafeInteger(code) || (code as number) < 4000 || (code as number) > 4999)
          throw new CommandError(400, '"code" must be 4000-4999');
        const reason = field(command, 'reason');
        session.close(code as number, typeof reason === 'string' ? reason : 'closed by test mode');
      }
      return { ok: true };
    }
    default:
      throw new CommandError(400, 'unknown "op"; known: config, publish, state, send, close');
  }
}
