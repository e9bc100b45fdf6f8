import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CliProcess } from '../support/cli-process.js';
import { openClient } from '../support/client-harness.js';
import { closeAll } from '../support/close-after-test.js';
import { waitFor } from '../support/wait.js';
import type { ReconnectInfo } from '../../src/client/index.js';
import { CloseCode } from '../../src/protocol/codes.js';

// Needs the build (`npm test` builds first): it runs dist/cli.js as `npx pushwire` would.
afterEach(closeAll);

const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Starts `pushwire serve` on a free port of 127.0.0.1; resolves with the process and its bound port. */
async function serve(args: string[] = [], env: Record<string, string> = {}): Promise<{ cli: CliProcess; port: number; base: string }> {
  const cli = new CliProcess(['serve', '--port=0', '--host', '127.0.0.1', ...args], env);
  const listening = await cli.log('listening');
  const port = listening.port as number;
  return { cli, port, base: `http://127.0.0.1:${port}` };
}

/** The status line of a request written byte for byte (fetch would not send a malformed URL as it is). */
function rawStatus(port: number, target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp(port, '127.0.0.1', () =>
      socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`),
    );
    let answer = '';
    socket.setTimeout(5_000, () => socket.destroy(new Error(`no answer to GET ${target}`)));
    socket.on('data', (chunk: Buffer) => void (answer += chunk.toString()));
    socket.on('end', () => resolve(answer.split('\r\n')[0] ?? ''));
    socket.on('error', reject);
  });
}

describe('pushwire CLI', () => {
  it('prints its version with --version, and its usage with --help (exit 0) or an unknown command (exit 1)', async () => {
    const versionRun = new CliProcess(['--version']);
    expect(await versionRun.exited).toBe(0);
    expect(versionRun.stdout.trim()).toBe(version);

    const help = new CliProcess(['--help']);
    expect(await help.exited).toBe(0);
    expect(help.stdout).toContain('pushwire <command>');

    const unknown = new CliProcess(['frobnicate']);
    expect(await unknown.exited).toBe(1);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
  });

  it('lists every serve option with its environment variable and config key in serve --help', async () => {
    const help = new CliProcess(['serve', '--help']);
    expect(await help.exited).toBe(0);
    for (const text of [
      '--port N',
      'PUSHWIRE_PORT, PORT',
      '--allowed-origins LIST',
      'REDIS_URL',
      '"history.size"',
      '--config FILE',
      '--log-level LEVEL',
    ]) {
      expect(help.stdout).toContain(text);
    }
  });

  it('refuses a bad setting at start-up with a message naming it, and exits 1', async () => {
    const badPort = new CliProcess(['serve', '--port', '70000']);
    expect(await badPort.exited).toBe(1);
    expect(badPort.stderr).toContain('--port must be a port number');

    const unknownFlag = new CliProcess(['serve', '--prot', '80']);
    expect(await unknownFlag.exited).toBe(1);
    expect(unknownFlag.stderr).toContain('unknown option "--prot"');

    const badEnv = new CliProcess(['serve'], { PUSHWIRE_ALLOWED_ORIGINS: 'example.com' });
    expect(await badEnv.exited).toBe(1);
    expect(badEnv.stderr).toContain('PUSHWIRE_ALLOWED_ORIGINS: "example.com" is not an origin');
  });
});

describe('pushwire serve', () => {
  it('listens on a free port with --port=0, says which in a JSON log line, and serves clients and /healthz', async () => {
    const { cli, port, base } = await serve();
    expect(port).toBeGreaterThan(0);
    expect(await cli.log('listening')).toMatchObject({ level: 'info', host: '127.0.0.1', path: '/pushwire', broker: 'memory', version });
    expect(typeof (await cli.log('listening')).time).toBe('string');

    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect((await fetch(`${base}/`)).status).toBe(404); // no demo pages
    const client = await openClient(`${base}/pushwire`);
    const subscribed = await new Promise((resolve) => client.subscribe('news', { onMessage: () => {}, onSubscribed: resolve }));
    expect(subscribed).toMatchObject({ status: 'new' });
  });

  it('takes its settings from a config file, environment variables over the file, and flags over both', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'pushwire-config-'));
    const file = join(folder, 'pushwire.json');
    writeFileSync(file, JSON.stringify({ path: '/from-file', metrics: true, logLevel: 'warn', allowedOrigins: ['https://app.example'] }));
    const { cli, base } = await serve(['--config', file, '--log-level=info'], { PUSHWIRE_PATH: '/from-env' });
    expect(await cli.log('listening')).toMatchObject({ path: '/from-env' });
    expect((await fetch(`${base}/from-env/metrics`)).status).toBe(200);
    // allowedOrigins from the file: a page of another origin is refused, the configured one accepted.
    const handshake = (origin: string) => fetch(`${base}/from-env/poll`, { method: 'POST', headers: { origin } });
    expect((await handshake('https://evil.example')).status).toBe(403);
    expect((await handshake('https://app.example')).status).not.toBe(403);
  });

  it('survives malformed URLs (GET /%E0%A4%A) and keeps serving', async () => {
    const { cli, port, base } = await serve();
    for (const target of ['/%E0%A4%A', '/pushwire/%E0%A4%A', '/pushwire/events?channel=%E0%A4%A', '/%']) {
      expect(await rawStatus(port, target), target).toMatch(/^HTTP\/1\.1 [45]\d\d /);
    }
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(cli.stderr).toBe('');
  });

  it('shuts down gracefully on SIGTERM: clients are told to reconnect later, then it exits 0', async () => {
    const { cli, base } = await serve();
    const client = await openClient(`${base}/pushwire`);
    const reconnecting = new Promise<ReconnectInfo>((resolve) => client.on('reconnecting', resolve));
    expect(await cli.kill('SIGTERM')).toBe(0);
    expect(cli.logs().map((entry) => entry.message)).toEqual(['listening', 'shutting down', 'stopped']);
    expect(cli.logs()[1]).toMatchObject({ signal: 'SIGTERM', sessions: 1 });
    expect(await reconnecting).toMatchObject({ code: CloseCode.ServerShutdown });
  });
});

describe('pushwire demo', () => {
  it('serves the demo pages on a free port with --port=0 and survives a malformed URL', async () => {
    const cli = new CliProcess(['demo', '--port=0', '--host=127.0.0.1']);
    await waitFor(() => cli.stdout.includes('Pushwire demo on'), 'demo started');
    const port = Number(/localhost:(\d+)/.exec(cli.stdout)?.[1]);
    expect(port).toBeGreaterThan(0);
    expect(await rawStatus(port, '/%E0%A4%A')).toBe('HTTP/1.1 400 Bad Request');
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
  });
});
