import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** One HTTP exchange as the kit sees it: status, headers (lower-case names) and the whole body as text. */
export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface HttpCall {
  method: string;
  headers?: Record<string, string>;
  body?: string;
}

/** Starts a request; `onResponse` gets the response as it arrives (the caller reads the body). */
export function startRequest(url: string, call: HttpCall, onResponse: (res: IncomingMessage) => void): ClientRequest {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const headers: Record<string, string> = { ...call.headers };
  if (call.body !== undefined) headers['content-length'] = String(Buffer.byteLength(call.body));
  // A fresh connection per request: a kit that cuts connections must not cut another exchange's.
  const req = send(target, { method: call.method, headers, agent: false }, onResponse);
  req.end(call.body);
  return req;
}

/** A whole exchange; rejects on a network error or after `timeoutMs`. */
export function fetchText(url: string, call: HttpCall, timeoutMs = 10_000): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = startRequest(url, call, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${call.method} ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}
