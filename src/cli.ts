#!/usr/bin/env node
import { startDemoServer } from './demo/demo-server.js';
import { CONFORMANCE_USAGE, runConformanceCommand } from './conformance/cli.js';

const USAGE = `Usage: pushwire serve [--port N] [--host H]

  serve   Serve the demo pages with a Pushwire server (in-memory broker).
          --port N   port to listen on (default: $PORT, else 3000)
          --host H   interface to bind (default 0.0.0.0)
${CONFORMANCE_USAGE}`;

function option(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  return index === -1 ? undefined : args[index + 1];
}

async function main(args: string[]): Promise<void> {
  if (args[0] === 'conformance') {
    process.exitCode = await runConformanceCommand(args.slice(1));
    return;
  }
  if (args[0] !== 'serve') {
    console.log(USAGE);
    process.exitCode = args.length === 0 || args[0] === '--help' ? 0 : 1;
    return;
  }
  const port = Number(option(args, '--port') ?? process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port: ${port}`);
  const demo = await startDemoServer(port, option(args, '--host'));
  console.log(`Pushwire demo on http://localhost:${demo.port} (Pushwire endpoint: /pushwire)`);
  const stop = (): void => {
    void demo.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
