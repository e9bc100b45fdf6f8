import type { ChildProcess } from 'node:child_process';

/**
 * Request/reply over a child process's IPC channel. Every request carries an id; the child answers
 * with `{ re: id, ... }`. Messages without `re` are events (e.g. fan-out progress).
 */
export interface Request {
  id: number;
  cmd: string;
  [key: string]: unknown;
}
export type Reply = { re: number; error?: string } & Record<string, unknown>;
export type Event = { event: string } & Record<string, unknown>;

export class Peer {
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();
  private readonly listeners = new Map<string, (event: Event) => void>();

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.on('message', (raw: Record<string, unknown>) => {
      if (typeof raw.re === 'number') {
        const message = raw as Reply;
        const pending = this.waiting.get(message.re);
        this.waiting.delete(message.re);
        if (message.error) pending?.reject(new Error(`${name}: ${message.error}`));
        else pending?.resolve(message);
      } else if (typeof raw.event === 'string') {
        this.listeners.get(raw.event)?.(raw as Event);
      }
    });
    child.on('exit', (code, signal) => {
      for (const { reject } of this.waiting.values()) reject(new Error(`${name} exited (${code ?? signal})`));
      this.waiting.clear();
    });
  }

  /** Sends a command and waits for its reply, at most `timeoutMs`. */
  request<T = Reply>(cmd: string, args: Record<string, unknown> = {}, timeoutMs = 120_000): Promise<T> {
    const id = ++this.nextId;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`${this.name}: "${cmd}" timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, {
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply as unknown as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.child.send({ id, cmd, ...args } satisfies Request);
    });
  }

  /** Forwards an event-free message (no reply expected). */
  notify(cmd: string, args: Record<string, unknown> = {}): void {
    if (this.child.connected) this.child.send({ id: 0, cmd, ...args } satisfies Request);
  }

  on(event: string, listener: (event: Event) => void): void {
    this.listeners.set(event, listener);
  }

  /** Resolves when the child has exited, or after `ms`. */
  exited(ms: number): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

type Handler = (request: Request) => Promise<Record<string, unknown> | void> | Record<string, unknown> | void;

/** The child side: answers each request with its handler's result (or its error). */
export function serve(handlers: Record<string, Handler>): void {
  process.on('message', (request: Request) => {
    const handler = handlers[request.cmd];
    const reply = (body: Record<string, unknown>): void => {
      if (request.id !== 0 && process.connected) process.send!({ re: request.id, ...body });
    };
    if (!handler) {
      reply({ error: `unknown command ${request.cmd}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(request))
      .then(
        (result) => reply(result ?? {}),
        (error: unknown) => reply({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
      );
  });
  process.on('disconnect', () => process.exit(0));
}

export function emit(event: string, body: Record<string, unknown> = {}): void {
  if (process.connected) process.send!({ event, ...body });
}
