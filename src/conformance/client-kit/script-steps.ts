import type { Frame } from '../peer.js';
import type { Adapter, AdapterEvent } from './adapter.js';
import type { ScriptConnection, ScriptTransport } from './script-connection.js';
import type { ScriptServer } from './script-server.js';

/** The steps client checks share: the kit's side of a handshake, a subscription, a reconnect. */

export type ClientTransport = ScriptTransport;

/** One client check on one transport: a fresh scripted server and a fresh client behind its adapter. */
export interface ClientRun {
  server: ScriptServer;
  adapter: Adapter;
  transport: ClientTransport;
  /** Every transport the client and the kit both have, in the client's order. */
  transports: ClientTransport[];
  /** The client rule ids the client declares. */
  declared: string[];
  timeoutMs: number;
}

export interface ClientCheck {
  id: string;
  title: string;
  /** Runs once (on the first transport it applies to) instead of on each. */
  once?: boolean;
  /** The transports it applies to (default: all). */
  on?: ClientTransport[];
  run(t: ClientRun): Promise<void>;
}

/** Settings of the `connect` command (docs/CONFORMANCE.md) a client applies when it declares the rule that needs them. */
export interface ConnectSettings {
  /** CL6: backoff ceiling of the first attempt, the cap and the growth, ms. */
  reconnect?: { min: number; max: number; factor?: number };
  /** NG3: the connect timeout and the health check, ms. */
  connectTimeout?: number;
  welcomeTimeout?: number;
  /** UG1, UG2: the upgrade probe's delays and round-trip timeout, ms. */
  upgrade?: { min: number; max: number; timeout: number };
  /** BD8: most sends waiting for their ack. */
  queue?: { maxFrames: number };
  /** CC1, HS16: fixed credentials for every hello. */
  auth?: unknown;
  /** CC1, HS16, NG4: credentials from a callback; call n answers entry n (the last one repeats), `error` makes it fail. */
  authCalls?: ({ auth: unknown } | { error: string })[];
}

export const EPOCH = 'E1';

/** Reconnects come quickly in every check unless it sets its own backoff. */
const QUICK_RECONNECT = { min: 50, max: 300 };

export function welcome(overrides: Record<string, unknown> = {}): Frame {
  return {
    t: 'welcome',
    v: 1,
    sid: 'S1',
    secret: 'K1',
    resumed: false,
    rx: 0,
    hb: 20_000,
    max: 65_536,
    tr: ['websocket', 'sse', 'long-polling'],
    ...overrides,
  };
}

/** Tells the client to connect with these transports (default: this run's) and settings. */
export function connectCommand(t: ClientRun, settings: ConnectSettings = {}, transports: ClientTransport[] = [t.transport]): void {
  t.adapter.command({ cmd: 'connect', url: t.server.url, transports, reconnect: QUICK_RECONNECT, ...settings });
}

/** Connects on this run's transport and answers its hello with a welcome. */
export async function connected(
  t: ClientRun,
  welcomeFields: Record<string, unknown> = {},
  settings: ConnectSettings = {},
): Promise<ScriptConnection> {
  connectCommand(t, settings);
  const connection = await t.server.connection(0);
  await connection.waitFor((f) => f.t === 'hello', 'hello');
  connection.send(welcome(welcomeFields));
  await t.adapter.waitFor((e) => e.event === 'open', 'the open event');
  return connection;
}

/** Subscribes through the adapter; answers the sub with subd (and its ack). Returns the sub frame. */
export async function subscribed(t: ClientRun, connection: ScriptConnection, ch: string, q = 0): Promise<Frame> {
  t.adapter.command({ cmd: 'subscribe', ch });
  const sub = await connection.waitFor((f) => f.t === 'sub' && f.ch === ch, `sub ${ch}`);
  connection.send({ t: 'subd', s: sub.s, ch, e: EPOCH, q, h: q, st: 'new' }, { t: 'ack', s: sub.s });
  return sub;
}

export function m(ch: string, q: number, d: unknown = q, e = EPOCH): Frame {
  return { t: 'm', ch, e, q, d };
}

/** What the application got on a channel, in order. */
export function delivered(t: ClientRun, ch: string): unknown[] {
  return t.adapter
    .of('message')
    .filter((e) => e.ch === ch)
    .map((e) => e.d);
}

/** The newest receipt count the client reported on a connection (ack n or pong n). */
export function lastReceipt(connection: ScriptConnection): number | undefined {
  const receipts = connection.frames.filter((f) => (f.t === 'ack' || f.t === 'pong') && typeof f.n === 'number');
  return receipts.length === 0 ? undefined : Number(receipts.at(-1)!.n);
}

/** The `index`-th connection, after the script ended the one before; its hello. */
export async function reconnected(t: ClientRun, index = 1): Promise<{ connection: ScriptConnection; hello: Frame }> {
  const connection = await t.server.connection(index, t.timeoutMs + 5_000);
  const hello = await connection.waitFor((f) => f.t === 'hello', 'hello on the new connection');
  return { connection, hello };
}

/** The settled result of the adapter's publish/send/join with this id. */
export function result(t: ClientRun, id: number): Promise<AdapterEvent> {
  return t.adapter.waitFor((e) => e.event === 'result' && e.id === id, `the result of command ${id}`);
}

/** Waits for a condition over both sides (the script's connections and the adapter's events), checking it every 20 ms. */
export async function eventually(condition: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
