import { Agent } from 'undici';
import { HttpHeader } from '../../src/protocol/http.js';

/**
 * One HTTP connection pool per Pushwire connection, as if each simulated client were a browser of its
 * own (a browser keeps its own keep-alive connections per origin).
 *
 * Why: Node's global `fetch` (undici) shares one pool per origin among every client of the load
 * process, and picks a free connection by scanning the pool's connections in order. With 1000
 * clients each holding a poll or a stream open, every request scanned past ~1000 busy connections:
 * the CPU profile of the load process showed most of its time in undici's Pool, so the SSE and
 * long-polling numbers measured that scan, not the server. (Socket.IO's Node client does not use
 * fetch; it gets a keep-alive agent per client, see socketio.ts.)
 *
 * The pool is found by the connection token the Pushwire client sends with every request after the
 * opening one; the opening request gets a new pool, which the token in its answer then names.
 */
const pools = new Map<string, Agent>();
let installed = false;

function tokenOf(headers: RequestInit['headers']): string | undefined {
  if (!headers || headers instanceof Headers || Array.isArray(headers)) return undefined;
  return headers[HttpHeader.connection];
}

export function usePerConnectionPools(): void {
  if (installed) return;
  installed = true;
  const fetchWithGlobalPool = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const token = tokenOf(init?.headers);
    const pool = (token === undefined ? undefined : pools.get(token)) ?? new Agent();
    // `dispatcher` is undici's extension of RequestInit.
    const res = await fetchWithGlobalPool(input, { ...init, dispatcher: pool } as RequestInit);
    const named = res.headers.get(HttpHeader.connection);
    if (named !== null && !pools.has(named)) pools.set(named, pool);
    return res;
  };
}

/** Closes every pool (the load process is done with its clients). */
export async function closePools(): Promise<void> {
  const all = [...new Set(pools.values())];
  pools.clear();
  await Promise.all(all.map((pool) => pool.close().catch(() => {})));
}
