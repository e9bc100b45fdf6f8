import { createHash } from 'node:crypto';
import type { Broker, IdempotentPublish } from './broker/broker.js';
import { positive } from './options.js';

export interface IdempotencyOptions {
  /** How long a key is remembered after its first use, ms. Default 24 hours. */
  ttl?: number;
  /**
   * Most keys remembered in this process when the broker keeps none itself (the in-memory broker).
   * When full, the oldest key is forgotten first. Default 10,000.
   */
  maxKeys?: number;
}

/** Idempotency keys: at most 255 printable ASCII characters (a UUID is the usual choice). */
const KEY = /^[\x21-\x7e]{1,255}$/;

export function isValidIdempotencyKey(key: unknown): key is string {
  return typeof key === 'string' && KEY.test(key);
}

/** The key was used before, within its retention, to publish something else. */
export class IdempotencyKeyReusedError extends Error {
  constructor(readonly key: string) {
    super(`idempotency key ${JSON.stringify(key)} was already used for a different publish`);
  }
}

interface Remembered {
  fingerprint: string;
  /** performance.now() after which the key is forgotten. */
  expires: number;
  /** The first publish's position; a failed publish is forgotten so that its retry can go through. */
  position: Promise<{ epoch: string; seq: number }>;
}

/**
 * Publishes at most once per idempotency key and channel within the key's retention. On a broker that
 * shares keys between nodes (Redis) the broker remembers them, atomically with the message; otherwise
 * this process does, bounded by `maxKeys` (a retry that arrives after its key was pushed out publishes
 * again). A retry gets the first publish's position, and waits for it if that publish is still running.
 */
export class Idempotency {
  private readonly ttl: number;
  private readonly maxKeys: number;
  /** Insertion order is age order: the oldest key is the first one. */
  private readonly remembered = new Map<string, Remembered>();

  constructor(
    private readonly broker: Broker,
    options: IdempotencyOptions = {},
    private readonly now: () => number = () => performance.now(),
  ) {
    this.ttl = positive('idempotency.ttl', options.ttl, 24 * 60 * 60_000);
    this.maxKeys = positive('idempotency.maxKeys', options.maxKeys, 10_000);
  }

  /** Keys remembered in this process. */
  get size(): number {
    return this.remembered.size;
  }

  async publish(channel: string, json: string, key: string): Promise<IdempotentPublish> {
    if (!isValidIdempotencyKey(key)) throw new TypeError('pushwire: an idempotency key is 1–255 printable ASCII characters');
    const fingerprint = createHash('sha256').update(json).digest('base64url');
    const result = this.broker.publishIdempotent
      ? await this.broker.publishIdempotent(channel, json, { key, fingerprint, ttl: this.ttl })
      : await this.publishRemembered(channel, json, key, fingerprint);
    if (result.duplicate && result.fingerprint !== fingerprint) throw new IdempotencyKeyReusedError(key);
    return result;
  }

  private async publishRemembered(channel: string, json: string, key: string, fingerprint: string): Promise<IdempotentPublish> {
    this.forgetExpired();
    // JSON.stringify keeps the pair unambiguous whatever characters either part holds.
    const id = JSON.stringify([channel, key]);
    const first = this.remembered.get(id);
    if (first) return { ...(await first.position), duplicate: true, fingerprint: first.fingerprint };
    if (this.remembered.size >= this.maxKeys) this.remembered.delete(this.remembered.keys().next().value!);
    const position = this.broker.publish(channel, json).then((message) => ({ epoch: message.epoch, seq: message.seq }));
    const entry: Remembered = { fingerprint, expires: this.now() + this.ttl, position };
    this.remembered.set(id, entry);
    try {
      return { ...(await position), duplicate: false, fingerprint };
    } catch (error) {
      if (this.remembered.get(id) === entry) this.remembered.delete(id);
      throw error;
    }
  }

  private forgetExpired(): void {
    const now = this.now();
    for (const [id, entry] of this.remembered) {
      if (entry.expires > now) return;
      this.remembered.delete(id);
    }
  }
}
