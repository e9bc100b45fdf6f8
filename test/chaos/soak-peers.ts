import { request as httpRequest, type ClientRequest } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import WebSocket from 'ws';
import { connect, PushwireError, type PushwireClient, type TransportDefinition } from '../../src/client/index.js';
import { sum } from './ledger.js';

/** Client publishes awaiting their ack at once, per honest peer. */
const WINDOW = 20;
/** Every this many publishes, an honest peer also makes a request and sends a message (echoed back). */
const REQUEST_EVERY = 10;

export const soakChannel = (i: number): string => `soak-${i}`;

/**
 * A client that follows the protocol: it subscribes to every soak channel and publishes a counter on
 * its own one, so each peer can check what it received from each publisher: nothing twice, and every
 * acknowledged publish unless a reset of the channel after its acknowledgement said it was lost. (The
 * order of one publisher's counters is not checked: a publish whose session was lost, outcome unknown,
 * may still be published after the next session's. Each channel's own order the client checks itself.)
 */
export class HonestPeer {
  readonly client: PushwireClient;
  /** Counters that arrived, by `channel/publisher`. */
  readonly arrived = new Map<string, Set<number>>();
  /** Arrivals of a counter already received: a message delivered twice. */
  duplicates = 0;
  readonly examples: string[] = [];
  /** When each channel was reset (explicitly: what it had not delivered by then is lost, and said so). */
  readonly resets = new Map<string, number[]>();
  /** When each own publish was acknowledged. */
  readonly ackedAt = new Map<number, number>();
  /** Outcome of each own publish by counter: 'pending' | 'ok' | error code. */
  readonly outcomes = new Map<number, string>();
  /** Requests: answered with their own answer, a wrong one, or failed (by code). */
  readonly requests = { made: 0, ok: 0, wrong: 0, failed: {} as Record<string, number> };
  /** Echoes of `send` by id: more than one means the server handled a message twice. */
  readonly echoes = new Map<number, number>();
  sent = 0;
  subscribed = 0;
  /** Why the client closed, if it did (an honest peer never should before the end). */
  closedBy: string | null = null;
  newSessions = 0;
  private opens = 0;
  private inFlight = 0;

  constructor(
    readonly id: number,
    readonly transport: TransportDefinition,
    url: string,
    readonly channels: number,
  ) {
    this.client = connect(url, {
      transports: [transport],
      WebSocket: WebSocket as never,
      transportMemory: false,
      reconnect: { min: 20, max: 500 },
      connectTimeout: 3_000,
    });
    this.client.on('open', ({ resumed }) => {
      if (this.opens++ > 0 && !resumed) this.newSessions++;
    });
    this.client.on('close', ({ code, reason }) => void (this.closedBy = `${code} ${reason}`));
    this.client.on('message', (data) => {
      const echo = (data as { echo?: { id?: number } }).echo;
      if (typeof echo?.id === 'number') this.echoes.set(echo.id, (this.echoes.get(echo.id) ?? 0) + 1);
    });
    for (let c = 0; c < channels; c++) {
      const channel = soakChannel(c);
      this.client.subscribe<{ from: number; n: number }>(channel, {
        onMessage: (data) => this.arrive(channel, data.from, data.n),
        onReset: () => void this.resets.set(channel, [...(this.resets.get(channel) ?? []), Date.now()]),
        onSubscribed: () => void this.subscribed++,
      });
    }
  }

  get ownChannel(): string {
    return soakChannel(this.id % this.channels);
  }

  received(channel: string, from: number): Set<number> {
    const key = `${channel}/${from}`;
    let set = this.arrived.get(key);
    if (!set) this.arrived.set(key, (set = new Set()));
    return set;
  }

  private arrive(channel: string, from: number, n: number): void {
    const set = this.received(channel, from);
    if (set.has(n)) {
      this.duplicates++;
      if (this.examples.length < 10) this.examples.push(`peer ${this.id}: ${channel} from ${from}: ${n} twice`);
    }
    set.add(n);
  }

  /**
   * Acknowledged publishes of `publisher` this peer never got, with no reset of the channel after the
   * acknowledgement to explain it: lost silently.
   */
  silentlyLost(publisher: HonestPeer): number[] {
    const got = this.received(publisher.ownChannel, publisher.id);
    const lastReset = Math.max(0, ...(this.resets.get(publisher.ownChannel) ?? []));
    return [...publisher.ackedAt].filter(([n, at]) => !got.has(n) && at > lastReset).map(([n]) => n);
  }

  /** Publishes as many as its window allows (a few per call). */
  publish(): void {
    while (this.inFlight < WINDOW) {
      const n = ++this.sent;
      this.outcomes.set(n, 'pending');
      this.inFlight++;
      this.client.publish(this.ownChannel, { from: this.id, n }).then(
        () => this.settle(n, 'ok'),
        (error: unknown) => this.settle(n, error instanceof PushwireError ? error.code : String(error)),
      );
      if (n % REQUEST_EVERY === 0) this.ask(n);
    }
  }

  /** The highest counter whose publish was acknowledged. */
  get lastAcknowledged(): number {
    let last = 0;
    for (const [n, outcome] of this.outcomes) if (outcome === 'ok' && n > last) last = n;
    return last;
  }

  get unsettled(): number {
    return [...this.outcomes.values()].filter((outcome) => outcome === 'pending').length + this.requestsPending;
  }

  private requestsPending = 0;

  private settle(n: number, outcome: string): void {
    this.inFlight--;
    this.outcomes.set(n, outcome);
    if (outcome === 'ok') this.ackedAt.set(n, Date.now());
  }

  private ask(id: number): void {
    this.requests.made++;
    this.requestsPending++;
    this.client.request<{ answer: { id: number } }>({ id }, { timeout: 0 }).then(
      (value) => {
        this.requestsPending--;
        if (value.answer.id === id) this.requests.ok++;
        else this.requests.wrong++;
      },
      (error: unknown) => {
        this.requestsPending--;
        const code = error instanceof PushwireError ? error.code : String(error);
        this.requests.failed[code] = (this.requests.failed[code] ?? 0) + 1;
      },
    );
    this.client.send({ id }).catch(() => {});
  }
}

/** Sums of the honest peers' books: what the soak asserts on. */
export function honestReport(peers: HonestPeer[]) {
  const rejected: Record<string, number> = {};
  for (const peer of peers) {
    for (const outcome of peer.outcomes.values())
      if (outcome !== 'ok' && outcome !== 'pending') rejected[outcome] = (rejected[outcome] ?? 0) + 1;
  }
  const lost = peers.flatMap((subscriber) =>
    peers.flatMap((publisher) =>
      subscriber.silentlyLost(publisher).map((n) => `peer ${subscriber.id} never got ${n} from ${publisher.id}`),
    ),
  );
  return {
    published: sum(peers, (peer) => peer.sent),
    delivered: sum(peers, (peer) => sum(peer.arrived.values(), (set) => set.size)),
    duplicates: sum(peers, (peer) => peer.duplicates),
    silentlyLost: lost.length,
    resets: sum(peers, (peer) => sum(peer.resets.values(), (times) => times.length)),
    rejected,
    unsettled: sum(peers, (peer) => peer.unsettled),
    newSessions: sum(peers, (peer) => peer.newSessions),
    requests: {
      made: sum(peers, (peer) => peer.requests.made),
      ok: sum(peers, (peer) => peer.requests.ok),
      wrong: sum(peers, (peer) => peer.requests.wrong),
      failed: peers.reduce<Record<string, number>>((all, peer) => {
        for (const [code, n] of Object.entries(peer.requests.failed)) all[code] = (all[code] ?? 0) + n;
        return all;
      }, {}),
    },
    echoedTwice: sum(peers, (peer) => [...peer.echoes.values()].filter((n) => n > 1).length),
    closed: peers.filter((peer) => peer.closedBy !== null).map((peer) => `peer ${peer.id}: ${peer.closedBy}`),
    examples: [...peers.flatMap((peer) => peer.examples), ...lost].slice(0, 10),
  };
}

/** Open hostile connections, each with its way to be closed; the oldest go when a kind has too many. */
class Hoard {
  private readonly open: Array<() => void> = [];
  constructor(private readonly max: number) {}
  add(close: () => void): void {
    this.open.push(close);
    while (this.open.length > this.max) this.open.shift()!();
  }
  closeAll(): void {
    for (const close of this.open.splice(0)) close();
  }
}

const wsUrl = (url: string): string => `${url.replace(/^http/, 'ws')}/ws`;

/** Opens a WebSocket that ignores its errors (the server is expected to cut hostile ones). */
function rawSocket(url: string, onOpen: (socket: WebSocket) => void): WebSocket {
  const socket = new WebSocket(wsUrl(url));
  socket.on('error', () => {});
  socket.once('open', () => onOpen(socket));
  return socket;
}

/**
 * Peers that do what the server must survive without losing anything for the honest ones, nor
 * memory: pings before `hello` from sockets that never read, subscribers that never read, garbage and
 * oversize frames, frame floods, channel streams held open unread, polls without a session, forged
 * resumes, connections that never say anything. Each wave opens a bounded number; the oldest close.
 */
export class HostilePeers {
  readonly waves = { count: 0 };
  private readonly sockets = new Hoard(24);
  private readonly streams = new Hoard(40);
  private readonly silent = new Hoard(20);

  constructor(private readonly urls: string[]) {}

  wave(): void {
    const url = this.urls[this.waves.count++ % this.urls.length]!;
    // Pings before hello, never reading the pongs.
    this.sockets.add(
      closer(
        rawSocket(url, (socket) => {
          socket.pause();
          for (let id = 0; id < 500; id++) socket.send(`{"t":"ping","id":${id}}`);
        }),
      ),
    );
    // A subscriber to a busy channel that never reads.
    this.sockets.add(
      closer(
        rawSocket(url, (socket) => {
          socket.send(`{"t":"hello","v":1}\n{"t":"sub","s":1,"ch":"${soakChannel(0)}","rewind":1000}`);
          socket.pause();
        }),
      ),
    );
    // Garbage, unknown frames, an oversize frame, then a flood of pings past the rate limit.
    this.sockets.add(
      closer(
        rawSocket(url, (socket) => {
          socket.send('{"t":"hello","v":1}');
          for (const text of ['{', '{"t":"nope"}', '[]', `{"t":"msg","s":1,"d":"${'x'.repeat(70_000)}"}`]) socket.send(text);
          for (let id = 0; id < 3_000; id++) socket.send(`{"t":"ping","id":${id}}`);
        }),
      ),
    );
    // A forged resume: another session's id, a made-up secret.
    this.sockets.add(
      closer(rawSocket(url, (socket) => socket.send('{"t":"hello","v":1,"sid":"AAAAAAAAAAAAAAAAAAAAAA","secret":"forged","rx":0}'))),
    );
    // Channel streams nobody reads.
    for (let i = 0; i < 4; i++) this.streams.add(held(httpRequest(`${url}/events?channel=${soakChannel(i % 2)}&rewind=1000`)));
    // Polls and posts without a session, an oversize hello over HTTP.
    for (let i = 0; i < 10; i++)
      void fetch(`${url}/poll`, { headers: { 'pushwire-connection': `x${i}`, 'pushwire-received': '0' } }).catch(() => {});
    void fetch(`${url}/poll`, { method: 'POST', body: 'garbage' }).catch(() => {});
    void fetch(`${url}/sse`, { method: 'POST', body: `{"t":"hello","v":1,"auth":"${'x'.repeat(100_000)}"}` }).catch(() => {});
    // A connection that never says anything (until the handshake timeout).
    const { hostname, port } = new URL(url);
    const socket: Socket = netConnect(Number(port), hostname).on('error', () => {});
    this.silent.add(() => socket.destroy());
  }

  close(): void {
    this.sockets.closeAll();
    this.streams.closeAll();
    this.silent.closeAll();
  }
}

const closer = (socket: WebSocket) => (): void => socket.terminate();

/** A GET whose response is never read. */
function held(req: ClientRequest): () => void {
  req.on('error', () => {});
  req.on('response', (res) => res.pause());
  req.end();
  return () => req.destroy();
}
