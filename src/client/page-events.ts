/** The page is hidden or the browser says it is offline: no point reconnecting right now. */
export function pageAway(): boolean {
  const g = globalThis as { document?: { visibilityState?: string }; navigator?: { onLine?: boolean } };
  return g.document?.visibilityState === 'hidden' || g.navigator?.onLine === false;
}

/**
 * Calls `wake` (or with `on` false, stops calling it) whenever the page may have come back: visible,
 * online, restored from the back/forward cache, focused. Does nothing outside a browser.
 */
export function listenToPage(on: boolean, wake: () => void): void {
  const method = on ? 'addEventListener' : 'removeEventListener';
  const target = globalThis as unknown as Partial<Pick<Window, typeof method>>;
  if (!target[method]) return;
  for (const event of ['online', 'offline', 'pageshow', 'focus']) target[method](event, wake);
  if (typeof document !== 'undefined') document[method]('visibilitychange', wake);
}

/**
 * Calls `leave` (or with `on` false, stops calling it) when the page unloads for real: `pagehide`
 * without `persisted` (a page entering the back/forward cache may come back, so it is not left).
 * Does nothing outside a browser.
 */
export function listenToUnload(on: boolean, leave: (event: PageTransitionEvent) => void): void {
  const target = globalThis as unknown as Partial<Pick<Window, 'addEventListener' | 'removeEventListener'>>;
  if (on) target.addEventListener?.('pagehide', leave);
  else target.removeEventListener?.('pagehide', leave);
}

/**
 * Sends `body` to `url` in a request that outlives the page: `navigator.sendBeacon` where there is one
 * (a CORS-simple `text/plain` POST, no preflight), else `fetch` with `keepalive`. The answer is never
 * read and failures go unreported: the page is going away.
 */
export function sendBeacon(url: string, body: string): void {
  const browser = (globalThis as { navigator?: { sendBeacon?(url: string, data: string): boolean } }).navigator;
  try {
    if (browser?.sendBeacon?.(url, body)) return;
  } catch {
    // Refused (a quota, a disallowed URL): try fetch.
  }
  fetch(url, { method: 'POST', body, keepalive: true, cache: 'no-store' }).catch(() => {});
}
