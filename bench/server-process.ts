/**
 * The server process of the bench: runs one server under test on 127.0.0.1 and answers the
 * orchestrator's commands over IPC. Everything it measures about itself (CPU, memory, bytes on the
 * wire) is measured here, in the server process only.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { Session as InspectorSession } from 'node:inspector/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import type { AddressInfo, Socket } from 'node:net';
import { sharedNow, sleep } from './clock.js';
import { serve } from './ipc.js';
import { makeMessage } from './message.js';
import { type BenchServer, createBenchServer, type ServerKind } from './servers/server.js';

let http: Server;
let server: BenchServer;
const sockets = new Set<Socket>();
const closedTotals = { bytesRead: 0, bytesWritten: 0 };
let requests = 0;
let sent = 0;
let delivered = 0;
let fanout: { count: number; window: number; done: () => void } | null = null;
let ticker: ReturnType<typeof setInterval> | undefined;
let profiler: InspectorSession | null = null;

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error('run the server process with --expose-gc');
  collect();
}

/** Sends while fewer than `window` messages are on their way to some client. */
function pump(): void {
  if (!fanout) return;
  while (sent < fanout.count && sent - delivered < fanout.window) server.broadcast(makeMessage(sent++));
  if (sent >= fanout.count) {
    const { done } = fanout;
    fanout = null;
    done();
  }
}

serve({
  async start(request) {
    http = createServer();
    http.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => {
        sockets.delete(socket);
        closedTotals.bytesRead += socket.bytesRead;
        closedTotals.bytesWritten += socket.bytesWritten;
      });
    });
    server = await createBenchServer(request.kind as ServerKind, http);
    // After the server under test: Socket.IO and Pushwire take over the listeners that were there before them.
    http.prependListener('request', () => requests++);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    return { port: (http.address() as AddressInfo).port, path: server.path };
  },

  connections: () => ({ n: server.connections(), sockets: sockets.size }),

  /** RSS and heap after full collections, for idle memory per connection. */
  async memory() {
    for (let i = 0; i < 3; i++) {
      gc();
      await sleep(50);
    }
    gc();
    const usage = process.memoryUsage();
    const newSpace = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;
    return {
      rss: usage.rss,
      heapUsed: usage.heapUsed,
      heapTotal: usage.heapTotal,
      newSpace,
      external: usage.external,
      connections: server.connections(),
    };
  },

  /** Writes a V8 heap snapshot (for looking into memory per connection) and returns its path. */
  snapshot(request) {
    gc();
    return { path: writeHeapSnapshot(request.path as string) };
  },

  /** Starts a V8 CPU profile of this process (BENCH_CPU_PROF=rate: the fixed-rate windows only). */
  async profileStart() {
    profiler = new InspectorSession();
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
    return {};
  },

  /** Stops the profile and writes it to `path`. */
  async profileStop(request) {
    if (!profiler) throw new Error('no profile under way');
    const { profile } = await profiler.post('Profiler.stop');
    writeFileSync(request.path as string, JSON.stringify(profile));
    profiler.disconnect();
    profiler = null;
    return {};
  },

  /** Process CPU time so far, µs (user + system). */
  cpu() {
    const usage = process.cpuUsage();
    return { user: usage.user, system: usage.system, framesIn: server.framesIn?.() ?? Number.NaN };
  },

  /** Broadcasts `count` messages as fast as a window of undelivered messages allows (see `progress`). */
  fanout(request) {
    sent = 0;
    delivered = 0;
    return new Promise<Record<string, unknown>>((resolve) => {
      fanout = { count: request.count as number, window: request.window as number, done: () => resolve({ sent }) };
      pump();
    });
  },

  /** The load process has every message below `done` at every client (relayed by the orchestrator). */
  progress(request) {
    delivered = request.done as number;
    pump();
  },

  /**
   * Broadcasts `count` messages at `rate` per second on a fixed schedule, each in its own turn of the
   * event loop: one behind schedule (a late timer on a busy machine) is not sent in the same tick as the
   * next, so no server can batch two broadcasts into one write.
   */
  async rate(request) {
    const count = request.count as number;
    const interval = 1000 / (request.rate as number);
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      const wait = start + i * interval - performance.now();
      await (wait > 0 ? sleep(wait) : nextTurn());
      server.broadcast(makeMessage(i));
    }
    return { sent: count };
  },

  /** Broadcasts a message every `everyMs` until `untick` (first-message scenario: new clients get one soon). */
  tick(request) {
    let i = 0;
    clearInterval(ticker);
    ticker = setInterval(() => server.broadcast(makeMessage(i++)), request.everyMs as number);
    return {};
  },

  untick() {
    clearInterval(ticker);
    ticker = undefined;
    return {};
  },

  /**
   * From now on WebSocket upgrades never reach the server under test, as behind a proxy that blocks
   * WebSocket: `refuse` answers each with 403; `swallow` never answers (the socket stays open, silent).
   */
  blockUpgrades(request) {
    const swallow = request.mode === 'swallow';
    http.removeAllListeners('upgrade');
    http.on('upgrade', (_req, socket: Socket) => {
      if (!swallow) socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
    });
    return {};
  },

  /** Cuts every TCP connection at once, like a network failure (no close frames). */
  drop() {
    const n = sockets.size;
    const at = sharedNow();
    for (const socket of sockets) socket.destroy();
    return { dropped: n, at };
  },

  /** Requests served and bytes on the wire so far, over every connection. */
  net() {
    let bytesRead = closedTotals.bytesRead;
    let bytesWritten = closedTotals.bytesWritten;
    for (const socket of sockets) {
      bytesRead += socket.bytesRead;
      bytesWritten += socket.bytesWritten;
    }
    return { requests, bytesRead, bytesWritten };
  },

  async stop() {
    await server.close();
    http.closeAllConnections();
    setTimeout(() => process.exit(0), 10).unref();
  },
});
