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

export interface TransportMemory {
  recall_(): TransportName | null;
  /** Remembers `transport`, or with null forgets. Storage errors (quota, privacy mode) are ignored. */
  store_(transport: TransportName | null): void;
}

/**
 * Remembers, per endpoint, the fallback transport that last worked, so the next page load starts there
 * instead of waiting for the preferred one to fail again. Entries expire; storage errors (quota,
 * privacy modes, a sandboxed frame where even reading `localStorage` throws) only mean nothing is
 * remembered.
 */
export function transportMemory(url: string, { ttl = 864e5, storage }: TransportMemoryOptions, now: () => number): TransportMemory {
  const key = `pushwire:transport:${url}`;
  const attempt = <T>(fn: (storage: StorageLike | null | undefined) => T): T | null => {
    try {
      return fn(storage === undefined ? (globalThis as { localStorage?: StorageLike }).localStorage : storage);
    } catch {
      return null;
    }
  };
  const memory: TransportMemory = {
    recall_: () =>
      attempt((store) => {
        const raw = store?.getItem(key);
        if (!raw) return null;
        // Whatever else is there (another format, a name no transport has) matches no transport.
        const entry = JSON.parse(raw) as { transport?: TransportName; expires?: number };
        if (entry.expires! > now()) return entry.transport ?? null;
        memory.store_(null);
        return null;
      }),
    store_(transport) {
      attempt((store) => {
        if (transport) store?.setItem(key, JSON.stringify({ transport, expires: now() + ttl }));
        else store?.removeItem(key);
      });
    },
  };
  return memory;
}
