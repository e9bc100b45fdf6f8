/**
 * One request of an HTTP transport (SSE, long-polling, the upstream POSTs) to `{base}{path}`: never
 * cached. A string body goes as `text/plain;charset=UTF-8`, fetch's own default for strings, so no
 * content-type header is set (and the request stays a CORS "simple" one as far as the type goes).
 */
export function httpRequest(base: string, path: string, init: RequestInit): Promise<Response> {
  return fetch(base + path, { cache: 'no-store', ...init });
}
