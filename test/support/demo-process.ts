import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/**
 * The demo as `npm start` runs it (`node dist/cli.js demo`, the built CLI), on a free 127.0.0.1
 * port, in its own process so a test can kill it (a crash: nothing is said to the clients) and start
 * it again on the same port.
 */
export class DemoProcess {
  private child: ChildProcess | undefined;
  private output = '';

  private constructor(
    readonly port: number,
    /** Extra environment, e.g. REDIS_URL to share channels with other nodes through Redis. */
    private readonly env: Record<string, string>,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(env: Record<string, string> = {}): Promise<DemoProcess> {
    const demo = new DemoProcess(await freePort(), env);
    await demo.launch();
    return demo;
  }

  /** Kills the server with SIGKILL: sessions and the in-memory channel history are gone. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async launch(): Promise<void> {
    this.output = '';
    const child = spawn(process.execPath, [CLI, 'demo', '--port', String(this.port), '--host', '127.0.0.1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PORT: undefined, REDIS_URL: undefined, ...this.env },
    });
    this.child = child;
    const collect = (chunk: Buffer): void => void (this.output += chunk.toString());
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`demo server did not start within 10 s:\n${this.output}`)), 10_000);
      const check = (): void => {
        if (this.output.includes('Pushwire demo on')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`demo server exited with ${code}:\n${this.output}`));
      });
    });
  }
}
