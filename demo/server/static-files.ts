import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** Serves files under `root` for URL paths under `prefix`; refuses anything that would leave `root`. */
export function staticFiles(prefix: string, root: string) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    let pathname: string;
    try {
      pathname = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    } catch {
      // A malformed escape (`/%E0%A4%A`) is the client's mistake, not a reason to fail.
      res.writeHead(400, { 'content-type': 'text/plain' }).end('malformed URL');
      return true;
    }
    if (!pathname.startsWith(prefix)) return false;
    let relative = pathname.slice(prefix.length);
    if (relative === '' || relative.endsWith('/')) relative += 'index.html';
    const file = normalize(join(root, relative));
    if (!file.startsWith(root.endsWith(sep) ? root : root + sep)) return false;
    try {
      const info = await stat(file);
      if (!info.isFile()) return false;
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': info.size,
        'cache-control': 'no-cache',
      });
      createReadStream(file).pipe(res);
      return true;
    } catch {
      return false;
    }
  };
}
