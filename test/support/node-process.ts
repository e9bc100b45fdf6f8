import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/redis-node.mjs', import.meta.url));

/**
 * A Pushwire server node in its own process (on Redis), which a test can kill like a crashed machine or
 * pause like a stalled one.
 */
export class NodeProcess {
  /** Lines the node printed (the fixture prints `handled <data>` for every `send` it handles). */
  readonly output: string[] = [];

  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
  ) {
    let partial = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop()!;
      this.output.push(...lines);
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/pushwire`;
  }

  /** `options`: more server options (JSON-serializable: limits, memory budget, heartbeat…). */
  static async start(redisUrl: string, prefix: string, options: object = {}): Promise<NodeProcess> {
    const port = await freePort();
    const child = spawn(process.execPath, [FIXTURE, String(port), redisUrl, prefix, JSON.stringify(options)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('node process did not start within 10 s')), 10_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`node process exited with ${code}`)));
    });
    return new NodeProcess(port, child);
  }

  /** SIGSTOP: the process stops dead (a stalled VM, a long GC pause), its sockets stay open. */
  pause(): void {
    this.child.kill('SIGSTOP');
  }

  /** SIGCONT after `pause`. */
  resume(): void {
    this.child.kill('SIGCONT');
  }

  /** The process's resident memory, bytes (Linux). */
  residentBytes(): number {
    const status = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
  }

  /** SIGKILL: no graceful shutdown, no goodbye to clients. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }
}
