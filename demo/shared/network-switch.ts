import type { TransportDefinition } from './pushwire-module.js';

/**
 * Wraps the client's transports so the page can simulate a network drop: the current connection is cut
 * (as if the cable were pulled) and, for `offlineMs`, new connection attempts fail as a refused
 * connection would. The client then does what it does on a real drop: reconnect and resume.
 */
export class NetworkSwitch {
  /** Every pipe not yet ended: the session's, and a background upgrade probe's if one is running. */
  private readonly live = new Set<(reason: string) => void>();
  private offlineUntil = 0;

  wrap(definitions: TransportDefinition[]): TransportDefinition[] {
    return definitions.map((definition) => ({
      name: definition.name,
      create: (context) => {
        let ended = false;
        let inner: { send(text: string): void; close(): void } | null = null;
        const fail = (reason: string): void => {
          if (ended) return;
          ended = true;
          this.live.delete(fail);
          inner?.close();
          context.handlers.close(1006, reason);
        };
        const handlers = {
          open: () => !ended && context.handlers.open(),
          frame: (text: string) => !ended && context.handlers.frame(text),
          close: (code: number, reason: string) => {
            if (ended) return;
            ended = true;
            this.live.delete(fail);
            context.handlers.close(code, reason);
          },
        };
        if (Date.now() < this.offlineUntil) {
          // Fail asynchronously, like a connection attempt that is refused.
          setTimeout(() => fail('simulated network drop: offline'), 50);
          return { send: () => {}, close: () => void (ended = true) };
        }
        const opened = (inner = definition.create({ ...context, handlers }));
        const pipe = {
          send: (text: string) => void (!ended && opened.send(text)),
          close: () => {
            ended = true;
            this.live.delete(fail);
            opened.close();
          },
        };
        this.live.add(fail);
        return pipe;
      },
    }));
  }

  /** Cuts every open connection; returns how many there were. */
  drop(offlineMs = 0): number {
    this.offlineUntil = Date.now() + offlineMs;
    const pipes = [...this.live];
    for (const fail of pipes) fail('simulated network drop');
    return pipes.length;
  }
}
