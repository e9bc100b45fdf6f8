import type { PatchOperation } from '../../protocol/json-patch.js';
import type { StatePatchMessage } from '../../protocol/state-message.js';
import type { Broker } from '../broker/broker.js';
import { expandPatch } from './patch.js';

/** Where a state change landed in its channel. */
export interface StatePosition {
  epoch: string;
  /** Sequence number of the change (or of the last change, if nothing changed). */
  seq: number;
}

export interface StateView<T = unknown> extends StatePosition {
  /** The document; null when the channel has no state. */
  state: T | null;
}

interface Cached {
  epoch: string;
  seq: number;
  doc: unknown;
}

/** A change function: the operations that turn the current document into the next, or null for none. */
export type StateChange = (doc: unknown) => PatchOperation[] | null;

/** Attempts of one change against concurrent writers (other server nodes) before giving up. */
const MAX_ATTEMPTS = 16;
/** Parsed documents kept per node, so a change does not re-read and re-parse the snapshot each time. */
const MAX_CACHED = 1000;

/** JSON-normalizes a value the application handed us (drops undefined, detaches it from the caller). */
export function toJson(value: unknown): unknown {
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
}

/**
 * The server side of synced state channels. Every change is computed against the current snapshot,
 * published as one `{"$patch": [...]}` message, and stored as the new snapshot in the same atomic
 * broker step (compare-and-set), so the snapshot and the message stream never disagree. Changes to
 * one channel are serialized on this node; across nodes the compare-and-set retries.
 */
export class StateStore {
  private readonly cache = new Map<string, Cached>();
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly broker: Broker) {}

  async read<T = unknown>(channel: string): Promise<StateView<T>> {
    const snapshot = await this.broker.state(channel);
    return { epoch: snapshot.epoch, seq: snapshot.seq, state: JSON.parse(snapshot.json) as T | null };
  }

  /**
   * Applies the operations `change` returns for the current document. Throws PatchError (publishing
   * nothing) if they don't apply. Resolves with the change's position, or the current one if
   * `change` returned no operations.
   */
  update(channel: string, change: StateChange): Promise<StatePosition> {
    const previous = this.queues.get(channel) ?? Promise.resolve();
    const run = previous.then(
      () => this.attempt(channel, change),
      () => this.attempt(channel, change),
    );
    this.queues.set(channel, run);
    void run
      .catch(() => {})
      .finally(() => {
        if (this.queues.get(channel) === run) this.queues.delete(channel);
      });
    return run;
  }

  private async attempt(channel: string, change: StateChange): Promise<StatePosition> {
    const cached = this.cache.get(channel);
    let current = cached ?? (await this.load(channel));
    let fresh = cached === undefined;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const ops = change(current.doc);
      if (!ops || ops.length === 0) {
        // Nothing to do, says this node's copy; another node may have changed the document since
        // (e.g. added the entry a purge of a dead node's presence must remove): ask the broker once.
        if (fresh) return { epoch: current.epoch, seq: current.seq };
        current = await this.load(channel);
        fresh = true;
        continue;
      }
      const { doc, wire } = expandPatch(current.doc, toJson(ops) as PatchOperation[]);
      if (wire.length === 0) return { epoch: current.epoch, seq: current.seq }; // only tests
      const next = doc ?? null;
      const message: StatePatchMessage = { $patch: wire };
      // The document is never changed in place (patches copy what they change), so the snapshot can
      // be serialized later, when someone reads it, and only if someone does.
      const snapshot = next === null ? 'null' : (): string => JSON.stringify(next);
      const published = await this.broker.publishState(channel, JSON.stringify(message), snapshot, [current.epoch, current.seq]);
      if (published) {
        this.remember(channel, { epoch: published.epoch, seq: published.seq, doc: next });
        return { epoch: published.epoch, seq: published.seq };
      }
      current = await this.load(channel); // another writer moved the snapshot on: recompute against it
      fresh = true;
    }
    throw new Error(`pushwire: state of "${channel}" kept changing under ${MAX_ATTEMPTS} attempts; giving up`);
  }

  private async load(channel: string): Promise<Cached> {
    const view = await this.read(channel);
    const cached = { epoch: view.epoch, seq: view.seq, doc: view.state };
    this.remember(channel, cached);
    return cached;
  }

  private remember(channel: string, cached: Cached): void {
    this.cache.delete(channel);
    this.cache.set(channel, cached);
    if (this.cache.size > MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
  }
}
