import { WebSocket } from 'ws';
import { connect, type PushwireClient, PushwireError, type TransportDefinition } from '../../src/client/index.js';
import { createServer, type PushwireServer, type ServerOptions } from '../../src/server/index.js';
import { FaultProxy, type FaultOptions } from '../support/fault-proxy.js';
import { delay } from '../support/wait.js';
import { ChannelLedger, sum } from './ledger.js';

export interface ChaosConfig {
  transport: TransportDefinition;
  channels: number;
  /** The whole run fails past this, ms. */
  timeLimit: number;
  faults?: FaultOptions;
  /** Overrides of the server options (e.g. a small outbound buffer, to force evictions). */
  server?: Partial<ServerOptions>;
}

export interface Counts {
  transport: string;
  sent: { down: number; up: number };
  delivered: { down: number; up: number };
  /** Client frames handed to a transport again (after a reconnect). */
  resends: number;
  /** Connections that continued the session. */
  resumes: number;
  /** Connections that had to start a new session (eviction, expiry, restart). */
  newSessions: number;
  resets: number;
  connections: number;
  cuts: number;
  /** Connections that went silent without closing (found by heartbeats). */
  blackholes: number;
  stalls: number;
  ms: number;
}

export interface PhaseReport {
  counts: Counts;
  /** Down: duplicates/reorderings seen by the client; up: seen by the server. */
  outOfOrder: { down: number; up: number };
  silentGaps: { down: number; up: number };
  examples: string[];
  /** Client publishes rejected, by error code. */
  rejected: Record<string, number>;
  /** Client publishes still unsettled at the end. */
  unsettled: number;
  /** Requests made, answered with their own answer, answered wrongly, handled more than once, by outcome. */
  requests: { made: number; answered: number; wrong: number; handledTwice: number; outcomes: Record<string, number> };
}

export interface ExplicitLossReport extends PhaseReport {
  /** Channels (of the client's subscriptions) that got an explicit reset after the restart. */
  resetChannels: number;
  /** Server→client messages lost explicitly (skipped by a reset). */
  explainedLoss: number;
  /** Client publishes that resolved but never reached a server: must be 0. */
  resolvedButLost: number;
  /** Client publishes rejected with session_lost that a server did handle (allowed: outcome unknown). */
  rejectedButHandled: number;
}

/** Publishes per channel that may be ahead of delivery: keeps the session's outbound buffer in bounds. */
const DOWN_WINDOW = 400;
/** Client publishes awaiting their ack at once (the client's queue holds 1,000 by default). */
const UP_WINDOW = 400;
/** Every this many client publishes on a channel, the client also makes a request. */
const REQUEST_EVERY = 20;

/**
 * One client, one server, a fault-injecting proxy between them; messages flow both ways on several
 * channels, each carrying a per-channel counter so the receiving side can check exactly-once, in order.
 */
export class ChaosRun {
  readonly proxy: FaultProxy;
  server!: PushwireServer;
  client!: PushwireClient;
  readonly down: ChannelLedger[] = [];
  readonly up: ChannelLedger[] = [];
  readonly downSent: number[];
  readonly upSent: number[];
  /** Outcome of each client publish, by channel then counter: 'pending' | 'ok' | error code. */
  readonly upOutcome: Map<number, string>[] = [];
  /** Requests by id: the client's outcome ('pending' | 'ok' | 'wrong' | error code) and the server's handler calls. */
  readonly requests = new Map<string, { outcome: string; calls: number }>();
  private resends = 0;
  private resumes = 0;
  private newSessions = 0;
  private opens = 0;
  private readonly highestSent = new Map<string, number>();
  private started = Date.now();
  private resetsBeforeRestart: number[] = [];
  /** Per channel, counter value = the current server's sequence number + this offset. */
  private seqOffset: number[] = [];

  constructor(private readonly config: ChaosConfig) {
    this.proxy = new FaultProxy(0, config.faults);
    this.downSent = new Array<number>(config.channels).fill(0);
    this.seqOffset = new Array<number>(config.channels).fill(0);
    this.upSent = new Array<number>(config.channels).fill(0);
    for (let i = 0; i < config.channels; i++) {
      this.down.push(new ChannelLedger(`down-${i}`));
      this.up.push(new ChannelLedger(`up-${i}`));
      this.upOutcome.push(new Map());
    }
  }

  async start(): Promise<void> {
    const proxyPort = await this.proxy.listen();
    await this.startServer();
    const transport = this.observe(this.config.transport);
    this.client = connect(`http://127.0.0.1:${proxyPort}/pushwire`, {
      transports: [transport],
      WebSocket: WebSocket as never,
      reconnect: { min: 5, max: 100 },
      connectTimeout: 2_000,
    });
    this.client.on('open', ({ resumed }) => {
      if (this.opens++ === 0) return;
      if (resumed) this.resumes++;
      else this.newSessions++;
    });
    // Messages published before a subscription is confirmed are not for it: start once all are.
    await Promise.all(
      this.down.map(
        (ledger, i) =>
          new Promise<void>((resolve) => {
            this.client.subscribe<{ n: number }>(ledger.channel, {
              onMessage: (data) => ledger.arrive(data.n),
              onReset: (info) => {
                ledger.reset();
                // The messages up to the reset position are settled: the ones that did not arrive are lost, explicitly.
                ledger.writeOff(this.seqOffset[i]! + info.seq);
              },
              onSubscribed: () => resolve(),
            });
          }),
      ),
    );
  }

  /** A server on a fresh port with a fresh in-memory broker; the proxy forwards to it from now on. */
  async startServer(): Promise<void> {
    const options: ServerOptions = {
      canPublish: () => true,
      onRequest: (_session, data) => {
        const request = this.requests.get((data as { id: string }).id);
        if (request) request.calls++;
        return { answer: (data as { id: string }).id };
      },
      // The session's outbound buffer must hold the publisher's window plus what the client received
      // but has not acknowledged yet: its receipts travel behind its own publishes through the stalls,
      // and at ~80,000 frames/s that lag reached 3,300 frames with the default bound of 5,000. Past the
      // bound the session is evicted by design (see the slow-consumer tests); this run stays inside it.
      outbound: { maxFrames: 20_000, maxBytes: 16 * 1024 * 1024 },
      // One client sends tens of thousands of frames per second here; the default rate limit would
      // (explicitly) refuse most of them, and so would the byte rate.
      limits: { framesPerSecond: 1_000_000, frameBurst: 1_000_000, bytesPerSecond: 1024 ** 3, byteBurst: 1024 ** 3 },
      // Enough history that a session evicted anyway recovers instead of resetting.
      history: { size: 100_000 },
      heartbeatInterval: 2_000,
      logger: { debug() {}, info() {}, warn() {}, error: (msg, fields) => console.error(msg, fields) },
      ...this.config.server,
    };
    this.server = createServer(options);
    const { port } = await this.server.listen(0, '127.0.0.1');
    for (const ledger of this.up) {
      await this.server.broker.subscribe(ledger.channel, (message) => ledger.arrive((JSON.parse(message.json) as { n: number }).n));
    }
    this.proxy.upstreamPort = port;
  }

  /** Publishes `count` more messages each way, spread over the channels; resolves when they settled. */
  async exchange(count: number, midway?: () => Promise<void>): Promise<void> {
    const downTarget = this.downSent.map((sent, i) => sent + share(count, this.config.channels, i));
    const upTarget = this.upSent.map((sent, i) => sent + share(count, this.config.channels, i));
    const deadline = this.started + this.config.timeLimit;
    let midwayDone = midway === undefined;
    let inFlight = 0;
    const progress = (): number => sum(this.downSent, (n) => n) + sum(this.upSent, (n) => n);
    const half = progress() + count; // half of this exchange's 2·count messages
    while (true) {
      if (Date.now() > deadline)
        throw new Error(`chaos run over its time limit of ${this.config.timeLimit} ms: ${JSON.stringify(this.counts())}`);
      let idle = true;
      for (let i = 0; i < this.config.channels; i++) {
        // Server → client, paced by what the client received.
        const ledger = this.down[i]!;
        let publish = Math.min(downTarget[i]! - this.downSent[i]!, DOWN_WINDOW - (this.downSent[i]! - ledger.last));
        if (publish > 0) idle = false;
        while (publish-- > 0) void this.server.publish(ledger.channel, { n: ++this.downSent[i]! });
        // Client → server, as many in flight as the window allows.
        let send = Math.min(upTarget[i]! - this.upSent[i]!, Math.floor(UP_WINDOW / this.config.channels));
        while (send-- > 0 && inFlight < UP_WINDOW) {
          idle = false;
          const n = ++this.upSent[i]!;
          const outcome = this.upOutcome[i]!;
          outcome.set(n, 'pending');
          inFlight++;
          if (n % REQUEST_EVERY === 0)
            this.request(
              `${i}:${n}`,
              () => inFlight++,
              () => inFlight--,
            );
          this.client.publish(`up-${i}`, { n }).then(
            () => {
              inFlight--;
              outcome.set(n, 'ok');
            },
            (error: unknown) => {
              inFlight--;
              outcome.set(n, error instanceof PushwireError ? error.code : String(error));
            },
          );
        }
      }
      // Right after a burst, so that frames are in flight both ways when `midway` strikes.
      if (!midwayDone && progress() >= half) {
        midwayDone = true;
        await midway!();
      }
      const settled = inFlight === 0 && this.down.every((ledger, i) => ledger.last >= downTarget[i]! || this.downSent[i]! < downTarget[i]!);
      const allSent = this.downSent.every((n, i) => n >= downTarget[i]!) && this.upSent.every((n, i) => n >= upTarget[i]!);
      if (allSent && settled && midwayDone) return;
      await delay(idle ? 2 : 0);
    }
  }

  /** A request through the same faults; its answer must be its own, and the handler must run once. */
  private request(id: string, start: () => void, done: () => void): void {
    const request = { outcome: 'pending', calls: 0 };
    this.requests.set(id, request);
    start();
    this.client.request<{ answer: string }>({ id }, { timeout: 0 }).then(
      (value) => {
        done();
        request.outcome = value.answer === id ? 'ok' : 'wrong';
      },
      (error: unknown) => {
        done();
        request.outcome = error instanceof PushwireError ? error.code : String(error);
      },
    );
  }

  counts(): Counts {
    return {
      transport: this.config.transport.name,
      sent: { down: sum(this.downSent, (n) => n), up: sum(this.upSent, (n) => n) },
      delivered: { down: sum(this.down, (l) => l.received), up: sum(this.up, (l) => l.received) },
      resends: this.resends,
      resumes: this.resumes,
      newSessions: this.newSessions,
      resets: sum(this.down, (l) => l.resets),
      connections: this.proxy.stats.connections,
      cuts: this.proxy.stats.cuts,
      blackholes: this.proxy.stats.blackholes,
      stalls: this.proxy.stats.stalls,
      ms: Date.now() - this.started,
    };
  }

  report(): PhaseReport {
    const rejected: Record<string, number> = {};
    let unsettled = 0;
    for (const outcomes of this.upOutcome) {
      for (const outcome of outcomes.values()) {
        if (outcome === 'pending') unsettled++;
        else if (outcome !== 'ok') rejected[outcome] = (rejected[outcome] ?? 0) + 1;
      }
    }
    const requests = { made: this.requests.size, answered: 0, wrong: 0, handledTwice: 0, outcomes: {} as Record<string, number> };
    for (const { outcome, calls } of this.requests.values()) {
      if (outcome === 'ok') requests.answered++;
      if (outcome === 'wrong') requests.wrong++;
      if (calls > 1) requests.handledTwice++;
      requests.outcomes[outcome] = (requests.outcomes[outcome] ?? 0) + 1;
    }
    return {
      requests,
      counts: this.counts(),
      outOfOrder: { down: sum(this.down, (l) => l.outOfOrder), up: sum(this.up, (l) => l.outOfOrder) },
      silentGaps: { down: sum(this.down, (l) => l.silentGaps), up: sum(this.up, (l) => l.silentGaps) },
      examples: [...this.down, ...this.up].flatMap((l) => l.examples),
      rejected,
      unsettled,
    };
  }

  /**
   * Closes the server (its sessions end, its in-memory history is gone) and starts a new one behind the
   * proxy: the client comes back to a server that doesn't know its session or its channels' epochs.
   */
  async restartServer(): Promise<void> {
    this.resetsBeforeRestart = this.down.map((ledger) => ledger.resets);
    await this.server.close();
    // The new server numbers each channel from 1 again; counter n is its sequence number + offset.
    this.seqOffset = [...this.downSent];
    await delay(20);
    await this.startServer();
    // Publish on the new server only once the client is subscribed there again: what the new server
    // published before would be skipped by the reset, which is correct but would stall the pacing.
    const deadline = this.started + this.config.timeLimit;
    while (this.down.some((ledger, i) => ledger.resets === this.resetsBeforeRestart[i])) {
      if (Date.now() > deadline) throw new Error(`not every channel reset after the restart: ${JSON.stringify(this.counts())}`);
      await delay(5);
    }
    // The old server is gone: its messages that did not arrive were lost, and the reset said so.
    this.down.forEach((ledger, i) => ledger.writeOff(this.downSent[i]!));
  }

  /**
   * The report for runs where losses are allowed if they are explicit (a restart, evictions): every gap
   * down must follow a reset, every acknowledged publish must have arrived.
   */
  explicitLossReport(): ExplicitLossReport {
    const report = this.report();
    let resolvedButLost = 0;
    let rejectedButHandled = 0;
    const examples = this.down.flatMap((l) => l.examples);
    this.up.forEach((ledger, i) => {
      for (const [n, outcome] of this.upOutcome[i]!) {
        const arrived = ledger.arrived.has(n);
        if (outcome === 'ok' && !arrived && resolvedButLost++ < 10) examples.push(`${ledger.channel}: ${n} resolved, never arrived`);
        if (outcome !== 'ok' && outcome !== 'pending' && arrived) rejectedButHandled++;
      }
    });
    return {
      ...report,
      // Up: a missing publish is fine only if its promise was rejected; counted as resolvedButLost otherwise.
      silentGaps: { down: report.silentGaps.down, up: resolvedButLost },
      examples,
      resetChannels: this.down.filter((ledger, i) => ledger.resets > (this.resetsBeforeRestart[i] ?? 0)).length,
      explainedLoss: sum(this.down, (l) => l.explainedLoss),
      resolvedButLost,
      rejectedButHandled,
    };
  }

  async close(): Promise<void> {
    this.client?.close();
    await this.server?.close();
    await this.proxy.close();
  }

  /** Wraps the transport to count client frames handed to it more than once in a session (resends). */
  private observe(definition: TransportDefinition): TransportDefinition {
    return {
      name: definition.name,
      create: (context) => {
        const inner = definition.create(context);
        return {
          send: (text) => {
            const match = /^\{"s":(\d+),/.exec(text);
            if (match) {
              const key = this.client.sessionId ?? '';
              const s = Number(match[1]);
              if (s <= (this.highestSent.get(key) ?? 0)) this.resends++;
              else this.highestSent.set(key, s);
            }
            inner.send(text);
          },
          close: () => inner.close(),
        };
      },
    };
  }
}

/** Channel i's share of `count` messages spread over `channels`. */
function share(count: number, channels: number, i: number): number {
  return Math.floor(count / channels) + (i < count % channels ? 1 : 0);
}
