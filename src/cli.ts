#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { loadServeConfig, settingsHelp } from './cli/config.js';
import { jsonLogger } from './cli/json-logger.js';
import { startStandaloneServer } from './cli/serve.js';
import { startDemoServer } from '../demo/server/demo-server.js';
import { runConformanceCommand } from './conformance/cli.js';

const USAGE = `Usage: pushwire <command> [options]

Commands:
  serve     Run a Pushwire server (no pages): for production.
  demo      Serve the demo pages (chat, Connect Four, odds board) with a Pushwire server.
  conformance <url>   Check a Pushwire server against the protocol's rules (docs/CONFORMANCE.md).

  pushwire serve --help      the server's options
  pushwire --version         the installed version`;

const SERVE_USAGE = `Usage: pushwire serve [options]

Runs a Pushwire server on its own: endpoints under --path, /healthz for load balancers, one JSON log
line per event on stdout, graceful shutdown on SIGTERM and SIGINT. Options come from flags, then
environment variables, then the JSON config file (--config FILE or PUSHWIRE_CONFIG), then defaults.

${settingsHelp()}`;

const DEMO_USAGE = `Usage: pushwire demo [--port N] [--host H]

Serves the demo pages and a Pushwire server (in-memory broker; REDIS_URL for Redis).
  --port N   port to listen on; 0 picks a free one (default: $PORT, else 3000)
  --host H   interface to bind (default 0.0.0.0)`;

function version(): string {
  // dist/cli.js and src/cli.ts both sit one level below the package root.
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function wantsHelp(args: readonly string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}

async function serve(args: readonly string[]): Promise<void> {
  if (wantsHelp(args)) return void console.log(SERVE_USAGE);
  const config = loadServeConfig(args, process.env);
  const logger = jsonLogger(config.logLevel);
  const server = await startStandaloneServer(config, logger);
  const { address, port } = server.address;
  logger.info('listening', {
    port,
    host: address,
    path: server.pushwire.path,
    broker: config.redisUrl ? 'redis' : 'memory',
    auth: config.jwt ? 'jwt' : 'none',
    httpApi: config.apiKeys !== undefined,
    version: version(),
  });
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal, sessions: server.pushwire.stats().sessions });
    // Should a socket refuse to close, the process still ends.
    setTimeout(() => process.exit(1), config.shutdownGrace + 10_000).unref();
    server.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error('shutdown failed', { error: String(error) });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

async function demo(args: readonly string[]): Promise<void> {
  if (wantsHelp(args)) return void console.log(DEMO_USAGE);
  const { port, host } = loadServeConfig(args, process.env, ['port', 'host']);
  const server = await startDemoServer(port, host);
  console.log(`Pushwire demo on http://localhost:${server.port} (Pushwire endpoint: /pushwire)`);
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function main(args: string[]): Promise<void> {
  const [command, ...rest] = args;
  if (command === '--version' || command === '-v') return void console.log(version());
  if (command === 'serve') return serve(rest);
  if (command === 'demo') return demo(rest);
  if (command === 'conformance') {
    process.exitCode = await runConformanceCommand(rest);
    return;
  }
  console.log(USAGE);
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') return;
  console.error(`\nunknown command ${JSON.stringify(command)}`);
  process.exitCode = 1;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  // A bad setting, a port in use, a missing optional dependency: the message says what to do.
  console.error(`pushwire: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
