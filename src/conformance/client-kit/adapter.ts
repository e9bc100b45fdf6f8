import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { Waiters } from '../waiters.js';

/**
 * The client kit drives a client implementation through an adapter: JSON lines over the adapter's
 * stdin (commands) and stdout (events). See docs/CONFORMANCE.md for the whole protocol.
 *
 * Commands: {"cmd":"connect","url","transports":[…]}, {"cmd":"subscribe","ch"},
 * {"cmd":"publish","id","ch","d"}, {"cmd":"send","id","d"}, {"cmd":"close"}.
 * Events: {"event":"ready","implements":[rule ids],"transports":[…]} first, then "open" {resumed,
 * transport}, "message" {ch, d}, "reset" {ch}, "direct" {d}, "result" {id, ok, code?}, "closed" {code}.
 */

/** Longest an adapter program may take to start and say it is ready, ms. */
const STARTUP_TIMEOUT = 30_000;

export interface AdapterEvent {
  event: string;
  [field: string]: unknown;
}

export interface ReadyEvent extends AdapterEvent {
  event: 'ready';
  /** The client rule ids this client implements; the others are skipped. */
  implements: string[];
  /** The transports it can use. */
  transports: string[];
}

export class Adapter {
  readonly events: AdapterEvent[] = [];
  /** Lines the adapter wrote that are not events (its own logs), kept for failure messages. */
  readonly noise: string[] = [];
  private readonly waiters = new Waiters();
  private ended = false;

  constructor(
    private readonly input: Writable,
    output: Readable,
    private readonly timeoutMs: number,
    private readonly stop: () => void = () => {},
  ) {
    const lines = createInterface({ input: output });
    lines.on('line', (line) => this.line(line));
    lines.on('close', () => {
      this.ended = true;
      this.notify();
    });
  }

  /** Starts an adapter program (e.g. `python3 client.py`); its stderr goes to this process's stderr. */
  static spawn(command: string, args: string[], timeoutMs: number): Adapter {
    const child: ChildProcess = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    return new Adapter(child.stdin!, child.stdout!, timeoutMs, () => child.kill());
  }

  command(command: Record<string, unknown>): void {
    if (!this.ended) this.input.write(`${JSON.stringify(command)}\n`);
  }

  /** Waits for the ready event; a program in another runtime may take a while to start on a busy machine. */
  async ready(): Promise<ReadyEvent> {
    const timeoutMs = Math.max(this.timeoutMs, STARTUP_TIMEOUT);
    return (await this.waitFor((e) => e.event === 'ready', "the adapter's ready event", timeoutMs)) as ReadyEvent;
  }

  /** Waits for the first event (after `from`, an index into `events`) that matches. */
  async waitFor(match: (event: AdapterEvent) => boolean, what: string, timeoutMs = this.timeoutMs, from = 0): Promise<AdapterEvent> {
    const find = (): AdapterEvent | undefined => this.events.slice(from).find(match);
    await this.until(() => find() !== undefined || this.ended, what, timeoutMs);
    const found = find();
    if (!found) throw new Error(`the adapter ended while waiting for ${what}`);
    return found;
  }

  async until(condition: () => boolean, what: string, timeoutMs = this.timeoutMs): Promise<void> {
    await this.waiters.until(condition, what, timeoutMs, () => ` (adapter); events ${JSON.stringify(this.events).slice(-600)}`);
  }

  of(type: string): AdapterEvent[] {
    return this.events.filter((e) => e.event === type);
  }

  close(): void {
    this.command({ cmd: 'close' });
    this.stop();
  }

  private line(line: string): void {
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      this.noise.push(line);
      return;
    }
    if (typeof event !== 'object' || event === null || typeof (event as AdapterEvent).event !== 'string') {
      this.noise.push(line);
      return;
    }
    this.events.push(event as AdapterEvent);
    this.notify();
  }

  private notify(): void {
    this.waiters.notify();
  }
}
