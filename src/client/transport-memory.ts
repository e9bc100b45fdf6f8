import type { TransportName } from '../protocol/frames.js';

/** The part of the Web Storage API the memory uses (`localStorage`, or anything shaped like it). */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface TransportMemoryOptions {
  /** How long a remembered transport is trusted, ms. Default 24 hours. */
  ttl?: number;
  /** Where to keep it. Default `localStorage` where there is one; null: remember nothing across page loads. */
  storage?: StorageLike | null;
}

const DEFAULT_TTL = 24 * 60 * 60 * 1000;

function defaultStorage(): StorageLike | null {
  try {
    // Reading localStorage throws in some sandboxed frames and privacy modes.
    return (globalThis as { localStorage?: StorageLike }).localStorage ?? null;
  } catch {
    return null;
  }
}

/**
 * Remembers, per endpoint, the fallback transport that last worked, so the next page load starts there
 * instead of waiting for the preferred one to fail again. Entries expire; storage errors (quota,
 * privacy modes) only mean nothing is remembered.
 */
export class TransportMemory {
  private readonly key_: string;
  private readonly ttl_: number;
  private readonly storage_: StorageLike | null;

  constructor(
    url: string,
    options: TransportMemoryOptions,
    private readonly now_: () => number,
  ) {
    this.key_ = `pushwire:transport:${url}`;
    this.ttl_ = options.ttl ?? DEFAULT_TTL;
    this.storage_ = options.storage === undefined ? defaultStorage() : options.storage;
  }

  recall_(): TransportName | null {
    try {
      const raw = this.storage_?.getItem(this.key_);
      if (!raw) return null;
      const entry = JSON.parse(raw) as { transport?: unknown; expires?: unknown };
      if (typeof entry.expires === 'number' && entry.expires > this.now_() && typeof entry.transport === 'string') return entry.transport as TransportName;
      this.store_(null);
    } catch {
      // Unreadable: as if nothing was remembered.
    }
    return null;
  }

  /** Remembers `transport`, or with null forgets. Storage errors (quota, privacy mode) are ignored. */
  store_(transport: TransportName | null): void {
    try {
      if (transport) this.storage_?.setItem(this.key_, JSON.stringify({ transport, expires: this.now_() + this.ttl_ }));
      else this.storage_?.removeItem(this.key_);
    } catch {
      // Nothing to do.
    }
  }
}
