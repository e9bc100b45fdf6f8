/**
 * What a test opened and must close when it ends: servers, clients, proxies, sockets. The harnesses in
 * test/support register what they start (`startTestServer`, `connectClient`, `RestartableServer.start`);
 * a test registers anything else with `closeAfterTest`. A test file calls `afterEach(closeAll)`, or
 * `afterAll(closeAll)` when what it opens lives for the whole file. Each test file has its own registry
 * (vitest isolates test files), and a file's tests run one after another.
 */
const closers: Array<() => unknown> = [];

interface Closeable {
  close(): unknown;
}

/** Registers `thing` to be closed by the next `closeAll()`, with `close` if given, else `thing.close()`. */
export function closeAfterTest<T extends Closeable>(thing: T): T;
export function closeAfterTest<T>(thing: T, close: (thing: T) => unknown): T;
export function closeAfterTest<T>(thing: T, close?: (thing: T) => unknown): T {
  closers.push(() => (close ? close(thing) : (thing as T & Closeable).close()));
  return thing;
}

/**
 * Closes everything registered, newest first (a client before the proxy it goes through, a proxy before
 * the server behind it), one at a time. Every closer runs even when one fails; then the first failure is
 * thrown.
 */
export async function closeAll(): Promise<void> {
  const failures: unknown[] = [];
  for (const close of closers.splice(0).reverse()) {
    try {
      await close();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw failures[0];
}
