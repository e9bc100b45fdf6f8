import { Agent, type IncomingMessage, request } from 'node:http';
import { nextSourceAddress } from './source-address.js';
import { HttpHeader } from '../../src/protocol/http.js';

/**
 * The `fetch` the Pushwire clients of the load process use for SSE and long-polling: a minimal one on
 * `node:http`, with one keep-alive agent per Pushwire connection (as if each simulated client were a
 * browser with its own connections). It does what the client needs: method, headers, a string body,
 * an abort signal; the answer's status, `headers.get`, `text()` and a streaming `body.getReader()`.
 *
 * Why not Node's built-in fetch (undici): the load process holds 1000 clients, and the built-in fetch
 * made it, not the server, the bottleneck of the HTTP transports. Its one pool per origin picks a free
 * connection by scanning all of them (O(clients) per request), and each request costs far more CPU
 * than a `node:http` request (CPU profiles of the load process: nearly no idle time, most of it in
 * undici, while the server was ~80% idle). Socket.IO's Node client is on `node:http` as well
 * (xmlhttprequest-ssl), so both libraries' clients now pay the same HTTP stack. The server sees the
 * same requests either way.
 *
 * The agent is found by the connection token the Pushwire client sends with every request after the
 * opening one; the opening request gets a new agent, which the token in its answer then names.
 */
const agents = new Map<string, Agent>();

interface Reader {
  read(): Promise<{ done: boolean; value?: Uint8Array }>;
}

function tokenOf(headers: RequestInit['headers']): string | undefined {
  if (!headers || headers instanceof Headers || Array.isArray(headers)) return undefined;
  return headers[HttpHeader.connection];
}

function abortError(): Error {
  return new DOMException('This operation was aborted', 'AbortError');
}

/** A pull reader over a response stream: chunks as they come, then done; an error rejects. */
function readerOf(res: IncomingMessage): Reader {
  const chunks: Buffer[] = [];
  let ended = false;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const notify = (): void => {
    const resolve = wake;
    wake = null;
    resolve?.();
  };
  res.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    notify();
  });
  res.on('end', () => {
    ended = true;
    notify();
  });
  res.on('error', (error) => {
    failure = error;
    notify();
  });
  res.on('close', () => {
    if (!ended && !failure) failure = new Error('the response was cut off');
    notify();
  });
  return {
    async read() {
      while (chunks.length === 0 && !ended && !failure) await new Promise<void>((resolve) => (wake = resolve));
      if (chunks.length > 0) return { done: false, value: chunks.shift()! };
      if (failure) throw failure;
      return { done: true };
    },
  };
}

export async function httpFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
  const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
  const signal = init.signal ?? null;
  if (signal?.aborted) throw abortError();
  const token = tokenOf(init.headers);
  const agent = (token === undefined ? undefined : agents.get(token)) ?? new Agent({ keepAlive: true, localAddress: nextSourceAddress() });
  const headers = { ...(init.headers as Record<string, string> | undefined) };
  const body = typeof init.body === 'string' ? init.body : null;
  if (body !== null) headers['content-length'] = String(Buffer.byteLength(body));
  return new Promise<Response>((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers, agent }, (res) => {
      const named = res.headers[HttpHeader.connection];
      if (typeof named === 'string' && !agents.has(named)) agents.set(named, agent);
      const reader = readerOf(res);
      const status = res.statusCode ?? 0;
      const answer = {
        status,
        ok: status >= 200 && status < 300,
        headers: {
          get(name: string): string | null {
            const value = res.headers[name.toLowerCase()];
            return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
          },
        },
        body: { getReader: () => reader },
        async text(): Promise<string> {
          const parts: Uint8Array[] = [];
          for (;;) {
            const { done, value } = await reader.read();
            if (done) return Buffer.concat(parts).toString('utf8');
            parts.push(value!);
          }
        },
      };
      resolve(answer as unknown as Response);
    });
    const onAbort = (): void => {
      req.destroy(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('close', () => signal?.removeEventListener('abort', onAbort));
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

/** Makes `httpFetch` the load process's global fetch (the Pushwire client calls the global one). */
export function useHttpFetch(): void {
  globalThis.fetch = httpFetch;
}

/** Closes every agent's idle connections (the load process is done with its clients). */
export function closeAgents(): void {
  for (const agent of new Set(agents.values())) agent.destroy();
  agents.clear();
}
