import type { IncomingMessage, ServerResponse } from 'node:http';

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body exceeds the max payload of ${limit} bytes`);
  }
}

/**
 * Reads a request body as UTF-8 text, at most `limit` bytes. Over the limit it rejects with
 * BodyTooLargeError as soon as it knows (from Content-Length, or while reading) and stops buffering.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(new BodyTooLargeError(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume();
        reject(new BodyTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
    req.once('close', () => {
      if (!req.complete) reject(new Error('request aborted'));
    });
  });
}

/** A short plain-text answer that ends the exchange. */
export function replyText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers }).end(text);
}

/** Reads the body, or answers 413 (too large) / 400 (aborted) itself and resolves undefined. */
export async function bodyOrReply(req: IncomingMessage, res: ServerResponse, limit: number): Promise<string | undefined> {
  try {
    return await readBody(req, limit);
  } catch (error) {
    if (error instanceof BodyTooLargeError) replyText(res, 413, `too_large: ${error.message}`, { connection: 'close' });
    else replyText(res, 400, 'incomplete request body');
    return undefined;
  }
}
