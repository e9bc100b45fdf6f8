import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** The browser builds the server serves, by URL name: the client (window.Pushwire) and its sync add-on. */
const SCRIPTS: Readonly<Record<string, string>> = { pushwire: 'pushwire.global.js', 'pushwire-sync': 'pushwire-sync.global.js' };

interface LoadedScript {
  body: Buffer;
  gzip: Buffer;
  /** First 12 hex digits of the content's SHA-256: the ETag and the versioned file name. */
  hash: string;
}

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'public, max-age=0, must-revalidate';

/**
 * Serves the IIFE builds from the server's own path, as Socket.IO serves /socket.io/socket.io.js:
 * `{path}/pushwire.js` (revalidated by ETag on every load) and `{path}/pushwire.<hash>.js` (the same
 * bytes under a name that changes with them, cached for a year); the same for `pushwire-sync`. Each
 * file is read once, on first use, from next to the server build (`dist/`), and kept with its gzip.
 */
export class ClientScripts {
  private readonly loaded = new Map<string, LoadedScript | null>();

  constructor(private readonly path: string) {}

  /** The versioned URL path of a script (for a page's `<script src>`), or null where the build is missing. */
  versionedPath(name: string): string | null {
    const script = this.load(name);
    return script ? `${this.path}/${name}.${script.hash}.js` : null;
  }

  /** Answers a request for one of the scripts; false if `pathname` names none. */
  handle(req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
    const match = /^\/([a-z-]+?)(?:\.([0-9a-f]{12}))?\.js$/.exec(pathname.slice(this.path.length));
    const name = match?.[1];
    if (!match || name === undefined || !(name in SCRIPTS)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed');
      return true;
    }
    const script = this.load(name);
    if (!script) {
      res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end(`${SCRIPTS[name]} is not next to the server build (a bundled server? serve it yourself)`);
      return true;
    }
    const versioned = match[2];
    if (versioned !== undefined && versioned !== script.hash) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no such version of the script here (this server has another)');
      return true;
    }
    const etag = `"${script.hash}"`;
    const headers: Record<string, string | number> = {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': versioned === undefined ? REVALIDATE : IMMUTABLE,
      etag,
      vary: 'accept-encoding',
      'x-content-type-options': 'nosniff',
    };
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers).end();
      return true;
    }
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gzip ? script.gzip : script.body;
    if (gzip) headers['content-encoding'] = 'gzip';
    headers['content-length'] = body.length;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  }

  private load(name: string): LoadedScript | null {
    if (!this.loaded.has(name)) this.loaded.set(name, readScript(SCRIPTS[name]!));
    return this.loaded.get(name) ?? null;
  }
}

function readScript(file: string): LoadedScript | null {
  // Built, the server is dist/server.js (or .cjs) with the scripts beside it; from source (tests), src/server/.
  const url = new URL(import.meta.url.includes('/src/server/') ? `../../dist/${file}` : `./${file}`, import.meta.url);
  let body: Buffer;
  try {
    body = readFileSync(fileURLToPath(url));
  } catch {
    return null;
  }
  return { body, gzip: gzipSync(body, { level: 9 }), hash: createHash('sha256').update(body).digest('hex').slice(0, 12) };
}
