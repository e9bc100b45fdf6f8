import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { closeAfterTest } from './close-after-test.js';
import { waitFor } from './wait.js';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/**
 * The built CLI (`node dist/cli.js …`, as `npx pushwire` runs it) in its own process, with its output
 * collected; killed with SIGKILL by closeAll() if still running. `env` replaces the variables the CLI
 * reads (PORT, REDIS_URL, PUSHWIRE_*), so the test's environment can't leak in.
 */
export class CliProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(args: string[], env: Record<string, string> = {}, command: string[] = [process.execPath, CLI]) {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(PORT|REDIS_URL|PUSHWIRE_.*)$/.test(name)));
    this.child = spawn(command[0]!, [...command.slice(1), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...clean, ...env } });
    this.child.stdout!.on('data', (chunk: Buffer) => void (this.stdout += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => void (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    closeAfterTest(this, () => this.kill('SIGKILL'));
  }

  /** The JSON log lines written so far. */
  logs(): Array<Record<string, unknown>> {
    return this.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** The first JSON log line with this message, once written (fails if the process exits first). */
  async log(message: string, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    let exited = false;
    void this.exited.then(() => void (exited = true));
    await waitFor(() => exited || this.logs().some((entry) => entry.message === message), `log line "${message}"`, timeoutMs);
    const entry = this.logs().find((line) => line.message === message);
    if (!entry) throw new Error(`exited before logging "${message}":\n${this.stdout}\n${this.stderr}`);
    return entry;
  }

  kill(signal: NodeJS.Signals): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}
