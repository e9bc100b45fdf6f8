/**
 * Milliseconds on a clock that only moves forward (not the wall clock): every duration on the server
 * (rate limits, heartbeats, expiry, stall times) is measured with it, so stepping the system clock
 * (NTP, a VM resumed, an operator) neither throttles every session nor expires them. The wall clock
 * (Date.now) stays only where a time is a timestamp shown to someone or shared between processes.
 */
export function monotonicNow(): number {
  return performance.now();
}
