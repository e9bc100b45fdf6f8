import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { delay } from './wait.js';

export const NGINX = process.env.NGINX_BIN ?? '/usr/sbin/nginx';

export interface RunningNginx {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts nginx as a plain reverse proxy in front of `upstreamPort`: `proxy_pass` with nginx's
 * defaults, i.e. HTTP/1.0 upstream, no Upgrade/Connection headers forwarded (so no WebSocket), and
 * proxy_buffering on; only the Host header is passed on. `locations` adds location blocks (to block
 * or buffer an endpoint).
 */
export function startNginx(upstreamPort: number, locations = ''): Promise<RunningNginx> {
  return runNginx(`upstream pushwire { server 127.0.0.1:${upstreamPort}; }`, '', locations);
}

/**
 * Starts nginx as a load balancer in front of several nodes, configured as docs/DEPLOYMENT.md says
 * (WebSocket upgrade, no buffering) but round robin: no sticky sessions, every request of a client
 * may land on any node.
 */
export function startBalancer(upstreamPorts: number[]): Promise<RunningNginx> {
  const servers = upstreamPorts.map((port) => `server 127.0.0.1:${port};`).join(' ');
  const streaming = `proxy_http_version 1.1;
    proxy_set_header Upgrade $http_upgrade;
    proxy_set_header Connection $connection_upgrade;
    proxy_buffering off;
    proxy_read_timeout 60s;`;
  return runNginx(
    `upstream pushwire { ${servers} }\n  map $http_upgrade $connection_upgrade { default upgrade; '' close; }`,
    streaming,
    '',
  );
}

async function runNginx(upstream: string, proxySettings: string, locations: string): Promise<RunningNginx> {
  const dir = mkdtempSync(join(tmpdir(), 'pushwire-nginx-'));
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  ${upstream}
  server {
    listen 127.0.0.1:${port};
    # Pass the page's Host on, as real configs do: the server's default origin check compares it with
    # the browser's Origin header.
    proxy_set_header Host $http_host;
    ${proxySettings}
    location / {
      proxy_pass http://pushwire;
    }
${locations}
  }
}
`,
  );
  const child: ChildProcess = spawn(NGINX, ['-p', dir, '-e', `${dir}/error.log`, '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Ready when it answers on its port.
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}): ${stderr}${readLog(dir)}`);
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`nginx did not start: ${stderr}${readLog(dir)}`);
      await delay(50);
    }
  }
  return {
    url: `http://127.0.0.1:${port}/pushwire`,
    async stop() {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function readLog(dir: string): string {
  try {
    return readFileSync(join(dir, 'error.log'), 'utf8');
  } catch {
    return '';
  }
}
