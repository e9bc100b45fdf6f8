import { execFile } from 'node:child_process';
import { requireProgram } from './external-program.js';

export const CURL = '/usr/bin/curl';

export interface CurlAnswer {
  status: number;
  /** Response headers, names in lower case (the last value of a repeated header). */
  headers: Record<string, string>;
  text: string;
  /** The body parsed as JSON (undefined if it is not JSON). */
  json: unknown;
}

const SEPARATOR = '\n--curl-write-out--\n';

/** Whether curl is installed (under CI=true a missing curl fails instead of skipping). */
export function curlAvailable(): boolean {
  return requireProgram(CURL, 'curl').available;
}

/**
 * Runs the real curl with `args` (URL included) and returns status, headers and body. curl exits 0
 * on any HTTP status; only a transport failure (refused, timed out after 10 s) rejects.
 */
export function curl(args: string[]): Promise<CurlAnswer> {
  const writeOut = `${SEPARATOR}%{http_code}\n%{header_json}`;
  return new Promise((resolve, reject) => {
    execFile(CURL, ['-sS', '--max-time', '10', '-w', writeOut, ...args], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`curl ${args.join(' ')} failed: ${stderr || error.message}`));
        return;
      }
      const at = stdout.lastIndexOf(SEPARATOR);
      const text = stdout.slice(0, at);
      const [code, ...headerLines] = stdout.slice(at + SEPARATOR.length).split('\n');
      const raw = JSON.parse(headerLines.join('\n')) as Record<string, string[]>;
      const headers = Object.fromEntries(Object.entries(raw).map(([name, values]) => [name.toLowerCase(), values[values.length - 1]!]));
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      resolve({ status: Number(code), headers, text, json });
    });
  });
}
