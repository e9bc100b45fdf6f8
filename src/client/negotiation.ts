import type { TransportName } from '../protocol/frames.js';
import type { TransportMemory } from './transport-memory.js';
import type { TransportDefinition } from './transports/transport.js';

export interface TransportPlan {
  /** The transport to try now. */
  current_(): TransportDefinition;
  /** Starts a new round, from `start` if given (else from the transport that last worked or the remembered one). */
  restart_(start?: TransportName): void;
  /** The current transport failed before the welcome: the next one in this round, or null if none is left. */
  advance_(): TransportDefinition | null;
  /** The current transport reached the welcome: start there next time (a fallback is remembered across loads). */
  succeeded_(): void;
}

/**
 * Which transport to try next. Attempts go in rounds: a round starts with the transport that last
 * worked (in this client, else the one remembered from an earlier page load), then the others in the
 * configured order (`definitions`, the first the preferred). A transport that fails before the
 * server's welcome hands over to the next at once; only when a whole round has failed does the client
 * back off.
 */
export function transportPlan(definitions: readonly TransportDefinition[], memory: TransportMemory | null): TransportPlan {
  if (!definitions.length) throw new TypeError('pushwire: no transports configured');
  let round: TransportDefinition[] = [];
  let index = 0;
  let working: TransportName | null | undefined;
  const plan: TransportPlan = {
    current_: () => round[index]!,
    restart_(start = working ?? memory?.recall_()) {
      const first = definitions.find((definition) => definition.name === start) ?? definitions[0]!;
      round = [first, ...definitions.filter((definition) => definition !== first)];
      index = 0;
    },
    advance_() {
      if (index + 1 >= round.length) return null; // the round is over; current_ stays on its last transport
      index++;
      return round[index]!;
    },
    succeeded_() {
      working = round[index]!.name;
      memory?.store_(working === definitions[0]!.name ? null : working);
    },
  };
  plan.restart_();
  return plan;
}
