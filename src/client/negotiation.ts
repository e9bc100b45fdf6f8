import type { TransportName } from '../protocol/frames.js';
import type { TransportMemory } from './transport-memory.js';
import type { TransportDefinition } from './transports/transport.js';

/**
 * Which transport to try next. Attempts go in rounds: a round starts with the transport that last
 * worked (in this client, else the one remembered from an earlier page load), then the others in the
 * configured order. A transport that fails before the server's welcome hands over to the next at once;
 * only when a whole round has failed does the client back off.
 */
export class TransportPlan {
  private round: TransportDefinition[];
  private index = 0;
  private working: TransportName | null = null;

  constructor(
    readonly definitions: readonly TransportDefinition[],
    private readonly memory: TransportMemory | null,
  ) {
    if (definitions.length === 0) throw new TypeError('pushwire: no transports configured');
    this.round = [...definitions];
    this.restart();
  }

  get current(): TransportDefinition {
    return this.round[this.index]!;
  }

  /** The most preferred transport (the first configured). */
  get preferred(): TransportDefinition {
    return this.definitions[0]!;
  }

  /** Starts a new round, from `start` if given. */
  restart(start: TransportName | null = this.working ?? this.memory?.recall() ?? null): void {
    const first = this.definitions.find((definition) => definition.name === start) ?? this.definitions[0]!;
    this.round = [first, ...this.definitions.filter((definition) => definition !== first)];
    this.index = 0;
  }

  /** The current transport failed before the welcome: the next one in this round, or null if none is left. */
  advance(): TransportDefinition | null {
    if (this.index + 1 >= this.round.length) return null;
    this.index++;
    return this.current;
  }

  /** The current transport reached the welcome: start there next time (a fallback is remembered across loads). */
  succeeded(): void {
    const name = this.current.name;
    this.working = name;
    if (!this.memory) return;
    if (name === this.preferred.name) this.memory.forget();
    else this.memory.remember(name);
  }
}
