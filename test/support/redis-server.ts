import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { requireProgram } from './external-program.js';
import { freePort } from './free-port.js';
import { delay } from './wait.js';

export const REDIS_SERVER = '/usr/bin/redis-server';

async function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A real redis-server on a free 127.0.0.1 port, without persistence, that a test can kill and restart. */
export class TestRedis {
  private process: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<TestRedis> {
    const redis = new TestRedis(await freePort());
    await redis.launch();
    return redis;
  }

  /** Kills the server (losing everything: no persistence) and starts a new one on the same port. */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** SIGSTOP: Redis stops answering; connections stay open (a stall, not a crash). */
  pause(): void {
    this.process?.kill('SIGSTOP');
  }

  /** SIGCONT after `pause`. */
  resume(): void {
    this.process?.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  private async launch(): Promise<void> {
    this.process = spawn(
      REDIS_SERVER,
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 200; i++) {
      if (await accepting(this.port)) return;
      await delay(25);
    }
    throw new Error(`redis-server did not start on port ${this.port}`);
  }
}

/**
 * The redis-server of one test file: started before its tests, stopped after. Missing locally, the
 * file's Redis tests skip (`available` false); under CI=true a missing redis-server fails instead.
 */
export function useTestRedis(): {
  readonly available: boolean;
  readonly server: TestRedis;
  readonly url: string;
  prefix(name: string): string;
} {
  const program = requireProgram(REDIS_SERVER, 'redis-server');
  let server: TestRedis | undefined;
  let prefixes = 0;
  beforeAll(async () => {
    if (program.available) server = await TestRedis.start();
  });
  afterAll(async () => {
    await server?.stop();
  });
  return {
    available: program.available,
    get server(): TestRedis {
      if (!server) throw new Error('redis-server is not running');
      return server;
    },
    get url(): string {
      return this.server.url;
    },
    /** A key prefix of its own for each test, so tests sharing the server never see each other's keys. */
    prefix: (name) => `${name}${++prefixes}:`,
  };
}
