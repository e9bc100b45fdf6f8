/** The page is hidden or the browser says it is offline: no point reconnecting right now. */
export function pageAway(): boolean {
  const g = globalThis as { document?: { visibilityState?: string }; navigator?: { onLine?: boolean } };
  return g.document?.visibilityState === 'hidden' || g.navigator?.onLine === false;
}

/**
 * Calls `wake` (or with `on` false, stops calling it) whenever the page may have come back: visible,
 * online, restored from the back/forward cache, focused; and `unload` on `pagehide` (the page goes
 * away: for good, or into the back/forward cache when the event's `persisted` is true). Does nothing
 * outside a browser.
 */
export function listenToPage(on: boolean, wake: () => void, unload: (event: Event) => void): void {
  const method = on ? 'addEventListener' : 'removeEventListener';
  const target = globalThis as unknown as Partial<Pick<Window, typeof method>>;
  if (!target[method]) return;
  for (const event of ['online', 'offline', 'pageshow', 'focus']) target[method](event, wake);
  target[method]('pagehide', unload);
  if (typeof document !== 'undefined') document[method]('visibilitychange', wake);
}
