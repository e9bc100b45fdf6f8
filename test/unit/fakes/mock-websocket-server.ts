/**
 * The mocked network for client unit tests: msw's WebSocket interception (`ws.link` + `setupServer`)
 * stands in for a Pushwire server, and each test plays the server's side frame by frame.
 *
 * Setup notes: happy-dom provides a configurable global `WebSocket`, which msw's interceptor replaces
 * while the mock server listens; the client's WebSocket transport looks the global up at connect time,
 * so no `WebSocket` option is needed. msw's mocked sockets work on microtasks only, so they run under
 * fake timers; `settle()` (a zero-length async timer advance) lets them finish.
 */
import { ws } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, vi } from 'vitest';
import { connect, type ClientOptions, type PushwireClient, websocket } from '../../../src/client/index.js';
import type { WelcomeFrame } from '../../../src/protocol/frames.js';
import { parseFrames, type SentFrame, welcomeFrame } from './wire.js';

/** The URL clients connect to; the WebSocket endpoint is `${BASE_URL}/ws`. */
export const BASE_URL = 'http://pushwire.test/pushwire';

type MockSocket = Parameters<Parameters<ReturnType<typeof ws.link>['addEventListener']>[1]>[0]['client'];

/** The server's end of one mocked WebSocket connection. */
export class MockConnection {
  /** Every frame the client sent on this connection, in order. */
  readonly frames: SentFrame[] = [];
  /** How many WebSocket messages carried them. */
  messages = 0;
  /** Set once the client side has closed the socket (not when the test closed it from the server side). */
  closedByClient: { code: number; reason: string } | null = null;
  private closedByServer = false;
  /** The URL the client opened. */
  readonly url: string;

  constructor(private readonly socket: MockSocket) {
    this.url = socket.url.href;
    socket.addEventListener('message', (event) => {
      this.messages++;
      this.frames.push(...parseFrames(String(event.data)));
    });
    socket.addEventListener('close', (event) => {
      if (!this.closedByServer) this.closedByClient ??= { code: event.code, reason: event.reason };
    });
  }

  /** Frames of one type, in order. */
  sent(t: string): SentFrame[] {
    return this.frames.filter((frame) => frame.t === t);
  }

  send(frame: object): void {
    this.socket.send(JSON.stringify(frame));
  }

  /** Answers the hello; defaults describe a new session `sid-1` with a 25 s heartbeat. */
  welcome(fields: Partial<Omit<WelcomeFrame, 't'>> = {}): void {
    this.send(welcomeFrame(fields));
  }

  /** The server ends the connection. */
  close(code: number, reason = ''): void {
    this.closedByServer = true;
    this.socket.close(code, reason);
  }
}

/**
 * Registers the hooks of a client test file: the mock server listens for the whole file, each test
 * runs under fake timers, and every client a test made is closed after it (so no page listener leaks
 * into the next test).
 */
export function useMockServer() {
  const connections: MockConnection[] = [];
  const clients: PushwireClient[] = [];
  const link = ws.link(`${BASE_URL.replace(/^http/, 'ws')}/ws`);
  const server = setupServer(link.addEventListener('connection', ({ client }) => void connections.push(new MockConnection(client))));

  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  beforeEach(() => {
    vi.useFakeTimers();
    connections.length = 0;
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
    vi.useRealTimers();
  });
  afterAll(() => server.close());

  return {
    connections,
    /** The newest connection (fails loudly if there is none). */
    get last(): MockConnection {
      const connection = connections.at(-1);
      if (!connection) throw new Error('the client has not connected');
      return connection;
    },
    /** Creates a WebSocket-only client on the mocked network (the session layer under test); closed after the test. */
    connect(options: ClientOptions = {}): PushwireClient {
      return this.track(connect(BASE_URL, { transports: [websocket], ...options }));
    },
    /** Closes a client made elsewhere after the test. */
    track(client: PushwireClient): PushwireClient {
      clients.push(client);
      return client;
    },
    /** Creates a client and lets the server welcome it; resolves once it is open. */
    async open(options: ClientOptions = {}, welcome: Partial<Omit<WelcomeFrame, 't'>> = {}): Promise<PushwireClient> {
      const client = this.connect(options);
      await settle();
      this.last.welcome(welcome);
      await settle();
      if (client.state !== 'open') throw new Error(`the client did not open (state ${client.state})`);
      return client;
    },
  };
}

/** Lets mocked sockets deliver what is in flight, without moving the clock. */
export function settle(): Promise<unknown> {
  return vi.advanceTimersByTimeAsync(0);
}

/** Moves the fake clock, firing due timers and delivering socket traffic in between. */
export function advance(ms: number): Promise<unknown> {
  return vi.advanceTimersByTimeAsync(ms);
}

/** Records the values of a client event. */
export function record<T>(subscribe: (listener: (value: T) => void) => unknown): T[] {
  const values: T[] = [];
  subscribe((value) => values.push(value));
  return values;
}

/** Watches a promise without awaiting it, so a test can check whether it settled yet (and how). */
export function track<T>(promise: Promise<T>): { status: 'pending' | 'resolved' | 'rejected'; value?: T; error?: unknown } {
  const outcome: { status: 'pending' | 'resolved' | 'rejected'; value?: T; error?: unknown } = { status: 'pending' };
  promise.then(
    (value) => Object.assign(outcome, { status: 'resolved', value }),
    (error: unknown) => Object.assign(outcome, { status: 'rejected', error }),
  );
  return outcome;
}
