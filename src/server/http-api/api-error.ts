import type { ServerResponse } from 'node:http';

/** A request the HTTP API refuses: its status, a stable code, and the request field at fault, if one is. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    /** Headers the answer carries (`WWW-Authenticate`, `Allow`, `Retry-After`…). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** A 400 naming the bad field in its code: `invalid_channel`, `invalid_data`… */
export function invalidField(field: string, message: string): ApiError {
  return new ApiError(400, `invalid_${field}`, message, field);
}

export function replyJson(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers }).end(body);
}

/** `{"error": {"code", "message", "field"?}}` with the error's status. */
export function replyError(res: ServerResponse, error: ApiError): void {
  const body = { error: { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) } };
  replyJson(res, error.status, JSON.stringify(body), error.headers);
}
