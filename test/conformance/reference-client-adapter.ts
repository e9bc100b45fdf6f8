import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { Adapter } from '../../src/conformance/client-kit/adapter.js';
import type { ConnectSettings } from '../../src/conformance/client-kit/script-steps.js';
import {
  type ClientOptions,
  connect,
  longPolling,
  type PushwireClient,
  sse,
  type TransportDefinition,
  websocket,
  type WebSocketConstructor,
} from '../../src/client/index.js';

const BY_NAME: Record<string, TransportDefinition> = { websocket, sse, 'long-polling': longPolling };

/** Every client rule the reference client implements (the kit checks each one). */
const IMPLEMENTS = [
  'CL1',
  'CL2',
  'CL3',
  'CL4',
  'CL5',
  'CL6',
  'CL7',
  'CL8',
  'CL9',
  'CC1',
  'EN3',
  'EN9',
  'HS13',
  'HS16',
  'BD8',
  'UP1',
  'UP4',
  'LP7',
  'NG1',
  'NG2',
  'NG3',
  'NG4',
  'UG1',
  'UG2',
  'PR3',
];

type Command = ConnectSettings & {
  cmd: string;
  url?: string;
  transports?: string[];
  ch?: string;
  id?: unknown;
  d?: unknown;
  meta?: unknown;
};

/** The connect command's settings as the reference client's options (docs/CONFORMANCE.md). */
function clientOptions(command: Command): ClientOptions {
  const options: ClientOptions = {
    transports: (command.transports ?? ['websocket']).map((name) => BY_NAME[name]!),
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    transportMemory: { storage: null },
    reconnect: command.reconnect,
    connectTimeout: command.connectTimeout,
    welcomeTimeout: command.welcomeTimeout,
    upgrade: command.upgrade,
    queue: command.queue,
    auth: command.auth,
  };
  const calls = command.authCalls;
  if (calls) {
    let call = 0;
    options.auth = () => {
      const answer = calls[Math.min(call++, calls.length - 1)]!;
      if ('error' in answer) throw new Error(answer.error);
      return answer.auth;
    };
  }
  return options;
}

/**
 * The reference client behind the client kit's adapter protocol, in this process: the same JSON lines
 * an adapter program reads on stdin and writes on stdout, over a pair of in-memory streams.
 */
export function referenceClientAdapter(timeoutMs: number, fault: { deliverTwice?: boolean; ignoreSettings?: boolean } = {}): Adapter {
  const commands = new PassThrough();
  const events = new PassThrough();
  let client: PushwireClient | null = null;
  const emit = (event: Record<string, unknown>): void => {
    if (!events.writableEnded) events.write(`${JSON.stringify(event)}\n`);
  };
  const settle = (id: unknown, promise: Promise<unknown>): void => {
    promise.then(
      () => emit({ event: 'result', id, ok: true }),
      (error: { code?: string }) => emit({ event: 'result', id, ok: false, code: error.code }),
    );
  };
  createInterface({ input: commands }).on('line', (line) => {
    const command = JSON.parse(line) as Command;
    switch (command.cmd) {
      case 'connect':
        // A broken client for the kit's own test: it keeps its default backoff and queue bound.
        client = connect(
          command.url!,
          clientOptions(fault.ignoreSettings ? { ...command, reconnect: undefined, queue: undefined } : command),
        );
        client.on('open', (info) => emit({ event: 'open', resumed: info.resumed, transport: info.transport }));
        client.on('message', (d) => emit({ event: 'direct', d }));
        client.on('close', (info) => emit({ event: 'closed', code: info.code }));
        client.on('error', () => {}); // failures reach the kit as result and closed events
        return;
      case 'subscribe': {
        const ch = command.ch!;
        const deliver = (d: unknown): void => {
          emit({ event: 'message', ch, d });
          // A broken client for the kit's own test: every message reaches the application twice.
          if (fault.deliverTwice) emit({ event: 'message', ch, d });
        };
        client?.subscribe(ch, { onMessage: deliver, onReset: () => emit({ event: 'reset', ch }) });
        return;
      }
      case 'publish':
        if (client) settle(command.id, client.publish(command.ch!, command.d));
        return;
      case 'send':
        if (client) settle(command.id, client.send(command.d));
        return;
      case 'join':
        if (client) settle(command.id, client.joinPresence(command.ch!, command.meta));
        return;
      case 'close':
        client?.close();
        events.end();
        return;
    }
  });
  emit({ event: 'ready', implements: IMPLEMENTS, transports: ['websocket', 'sse', 'long-polling'] });
  return new Adapter(commands, events, timeoutMs);
}
