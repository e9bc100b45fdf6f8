/** Limits on what one client, one address or everyone together may take. All have safe defaults. */
export interface LimitOptions {
  /** Sessions on this server in total. Default 50,000. */
  maxSessions?: number;
  /** Sessions from one client address. Default 1,000 (offices share addresses behind NAT). */
  maxSessionsPerAddress?: number;
  /** Channels one session may be subscribed to. Default 1,000. */
  maxSubscriptions?: number;
  /** Frames per second a session may send, sustained. Default 1,000. */
  framesPerSecond?: number;
  /** Frames a session may send in a burst above the sustained rate. Default 5,000. */
  frameBurst?: number;
}

export type ResolvedLimits = Required<LimitOptions>;

export function resolveLimits(options: LimitOptions = {}): ResolvedLimits {
  return {
    maxSessions: options.maxSessions ?? 50_000,
    maxSessionsPerAddress: options.maxSessionsPerAddress ?? 1_000,
    maxSubscriptions: options.maxSubscriptions ?? 1_000,
    framesPerSecond: options.framesPerSecond ?? 1_000,
    frameBurst: options.frameBurst ?? 5_000,
  };
}

/**
 * A token bucket: `burst` tokens, refilled at `rate` per second. `take` answers whether a frame may
 * pass; `flooding` turns true once a sender keeps going after being refused for a whole burst more.
 */
export class TokenBucket {
  private tokens: number;
  private refused = 0;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  take(now: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens--;
      this.refused = 0;
      return true;
    }
    this.refused++;
    return false;
  }

  get flooding(): boolean {
    return this.refused > this.burst;
  }
}
