export interface BackoffOptions {
  /** First delay ceiling, ms. Default 500. */
  min?: number;
  /** Largest delay, ms. Default 30,000. */
  max?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
}

/**
 * Reconnect delay for a zero-based attempt: full jitter applied after the cap, i.e. uniform in
 * [0, min(max, min·factor^attempt)). Jitter after the cap keeps clients spread out even once they all
 * reach the cap (Socket.IO jitters before the cap, so its clients end up reconnecting in lockstep).
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number): number {
  const { min = 500, max = 30_000, factor = 2 } = options;
  // The exponent is capped so a long outage can't overflow it (0 × Infinity would be NaN).
  return random() * Math.min(max, min * factor ** Math.min(attempt, 64));
}
