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
    let chunks: Buffer[] = [];
    let size = 0;
    // The request of an SSE stream lives as long as the stream: once the body is read, nothing of
    // this reader (listeners, chunks) may stay attached to it.
    const done = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      chunks = [];
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        done();
        req.resume();
        reject(new BodyTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      const body = Buffer.concat(chunks).toString('utf8');
      done();
      resolve(body);
    };
    const onError = (error: Error): void => {
      done();
      reject(error);
    };
    const onClose = (): void => {
      if (req.complete) return;
      done();
      reject(new Error('request aborted'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
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
