/** Limits on what one client, one address or everyone together may take. All have safe defaults. */
export interface LimitOptions {
  /** Sessions on this server in total. Default 50,000. */
  maxSessions?: number;
  /** Sessions from one client address (channel streams included). Default 1,000 (offices share addresses behind NAT). */
  maxSessionsPerAddress?: number;
  /** Connections from one client address between connecting and `welcome` (or refusal). Default 1,000. */
  maxHandshakesPerAddress?: number;
  /** Channels one session may be subscribed to. Default 1,000. */
  maxSubscriptions?: number;
  /** Frames per second a session may send, sustained. Default 1,000. */
  framesPerSecond?: number;
  /** Frames a session may send in a burst above the sustained rate. Default 5,000. */
  frameBurst?: number;
  /** Bytes of frames per second a session may send, sustained. Default 1 MiB. */
  bytesPerSecond?: number;
  /** Bytes a session may send in a burst above the sustained rate. Default 4 MiB; at least `maxPayload`. */
  byteBurst?: number;
}

export type ResolvedLimits = Required<LimitOptions>;

/** The limits with their defaults; given `maxPayload`, checks that a frame of that size can pass the byte bucket. */
export function resolveLimits(options: LimitOptions = {}, maxPayload = 0): ResolvedLimits {
  const byteBurst = options.byteBurst ?? 4 * 1024 * 1024;
  if (byteBurst < maxPayload)
    throw new RangeError(`pushwire: option limits.byteBurst (${byteBurst}) must be at least maxPayload (${maxPayload})`);
  return {
    maxSessions: options.maxSessions ?? 50_000,
    maxSessionsPerAddress: options.maxSessionsPerAddress ?? 1_000,
    maxHandshakesPerAddress: options.maxHandshakesPerAddress ?? 1_000,
    maxSubscriptions: options.maxSubscriptions ?? 1_000,
    framesPerSecond: options.framesPerSecond ?? 1_000,
    frameBurst: options.frameBurst ?? 5_000,
    bytesPerSecond: options.bytesPerSecond ?? 1024 * 1024,
    byteBurst,
  };
}

/** How many of something (sessions, handshakes in progress) each client address holds. */
export class AddressCounts {
  private readonly counts = new Map<string, number>();

  of(address: string): number {
    return this.counts.get(address) ?? 0;
  }

  add(address: string): void {
    this.counts.set(address, this.of(address) + 1);
  }

  remove(address: string): void {
    const left = this.of(address) - 1;
    if (left > 0) this.counts.set(address, left);
    else this.counts.delete(address);
  }
}

/** A token bucket: `burst` tokens, refilled at `rate` per second of the monotonic clock. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  refill(now: number): void {
    this.tokens = Math.min(this.burst, this.tokens + (Math.max(0, now - this.last) / 1000) * this.rate);
    this.last = now;
  }

  has(cost: number): boolean {
    return this.tokens >= cost;
  }

  spend(cost: number): void {
    this.tokens -= cost;
  }

  /** Refills, then takes `cost` tokens if they are there; answers whether it did. */
  take(now: number, cost = 1): boolean {
    this.refill(now);
    if (!this.has(cost)) return false;
    this.spend(cost);
    return true;
  }

  get full(): boolean {
    return this.tokens >= this.burst;
  }
}

/**
 * What one session may send: frames and bytes, each a token bucket. `take` answers whether a frame
 * may pass. Refusals count up until the sender has been quiet long enough for both buckets to fill
 * again (a frame that passes in between does not clear them), so a flood that keeps going past
 * another frame burst's worth of refusals turns `flooding` true and is cut off.
 */
export class InboundRate {
  private readonly frames: TokenBucket;
  private readonly bytes: TokenBucket;
  private refused = 0;
  private readonly frameBurst: number;

  constructor(limits: Pick<ResolvedLimits, 'framesPerSecond' | 'frameBurst' | 'bytesPerSecond' | 'byteBurst'>, now: number) {
    this.frames = new TokenBucket(limits.framesPerSecond, limits.frameBurst, now);
    this.bytes = new TokenBucket(limits.bytesPerSecond, limits.byteBurst, now);
    this.frameBurst = limits.frameBurst;
  }

  /** Whether a frame of `size` bytes may pass at time `now` (ms, monotonic). */
  take(now: number, size: number): boolean {
    this.frames.refill(now);
    this.bytes.refill(now);
    if (this.frames.full && this.bytes.full) this.refused = 0;
    if (this.frames.has(1) && this.bytes.has(size)) {
      this.frames.spend(1);
      this.bytes.spend(size);
      return true;
    }
    this.refused++;
    return false;
  }

  get flooding(): boolean {
    return this.refused > this.frameBurst;
  }
}
