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
  private round_: TransportDefinition[];
  private index_ = 0;
  private working_: TransportName | null = null;

  constructor(
    readonly definitions_: readonly TransportDefinition[],
    private readonly memory_: TransportMemory | null,
  ) {
    if (definitions_.length === 0) throw new TypeError('pushwire: no transports configured');
    this.round_ = [...definitions_];
    this.restart_();
  }

  get current_(): TransportDefinition {
    return this.round_[this.index_]!;
  }

  /** The most preferred transport (the first configured). */
  get preferred_(): TransportDefinition {
    return this.definitions_[0]!;
  }

  /** Starts a new round, from `start` if given. */
  restart_(start: TransportName | null = this.working_ ?? this.memory_?.recall_() ?? null): void {
    const first = this.definitions_.find((definition) => definition.name === start) ?? this.definitions_[0]!;
    this.round_ = [first, ...this.definitions_.filter((definition) => definition !== first)];
    this.index_ = 0;
  }

  /** The current transport failed before the welcome: the next one in this round, or null if none is left. */
  advance_(): TransportDefinition | null {
    if (this.index_ + 1 >= this.round_.length) return null;
    this.index_++;
    return this.current_;
  }

  /** The current transport reached the welcome: start there next time (a fallback is remembered across loads). */
  succeeded_(): void {
    const name = this.current_.name;
    this.working_ = name;
    this.memory_?.store_(name === this.preferred_.name ? null : name);
  }
}
