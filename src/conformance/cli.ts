import { Adapter } from './client-kit/adapter.js';
import { runClientKit } from './client-kit/client-kit.js';
import { runServerKit } from './server-kit.js';
import { startConformanceServer } from './test-server.js';

export const CONFORMANCE_USAGE = `  conformance <url>   Check the Pushwire server at <url> (e.g. http://127.0.0.1:3000/pushwire)
                      against every server rule of docs/PROTOCOL.md; one line per rule id.
          --only HS,SQ1      only rules whose id starts with one of these
          --timeout MS       longest wait for one expected frame (default 5000)
  conformance --serve Start a reference server in test mode with small limits, for kits to run against.
          --port N           port (default 0: a free one)   --host H   interface (default 127.0.0.1)
  conformance client [--only CL1,EN3] -- <adapter command…>
                      Check a client through its adapter program (JSON lines on stdin/stdout,
                      docs/CONFORMANCE.md) against a scripted server; one line per client rule id.`;

function option(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  return index === -1 ? undefined : args[index + 1];
}

/** `pushwire conformance …`; resolves with the exit code (1 when a rule failed). */
export async function runConformanceCommand(args: string[]): Promise<number> {
  if (args[0] === 'client') return runClientCommand(args.slice(1));
  if (args.includes('--serve')) {
    const port = Number(option(args, '--port') ?? 0);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port: ${option(args, '--port')}`);
    const { server, url } = await startConformanceServer(port, option(args, '--host') ?? '127.0.0.1');
    console.log(`Pushwire reference server in TEST MODE (not for users) at ${url}`);
    const stop = (): void => {
      void server.close({ grace: 0, reconnectSpread: 0 }).then(() => process.exit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    return new Promise(() => {}); // runs until a signal
  }
  const url = args.find((arg, i) => !arg.startsWith('--') && !['--only', '--timeout'].includes(args[i - 1] ?? ''));
  if (!url) {
    console.log(`Usage: pushwire conformance <url> | --serve\n${CONFORMANCE_USAGE}`);
    return 1;
  }
  const timeout = option(args, '--timeout');
  const report = await runServerKit({
    url,
    timeoutMs: timeout === undefined ? undefined : Number(timeout),
    only: option(args, '--only')?.split(','),
    write: (line) => console.log(line),
  });
  return report.failed > 0 ? 1 : 0;
}

/** `pushwire conformance client [options] -- command args…`: one adapter process per check. */
async function runClientCommand(args: string[]): Promise<number> {
  const dashes = args.indexOf('--');
  const program = dashes === -1 ? [] : args.slice(dashes + 1);
  if (program.length === 0) {
    console.log(`Usage: pushwire conformance client [--only CL1,EN3] [--timeout MS] -- <adapter command…>\n${CONFORMANCE_USAGE}`);
    return 1;
  }
  const options = args.slice(0, dashes);
  const timeout = option(options, '--timeout');
  const timeoutMs = timeout === undefined ? 5_000 : Number(timeout);
  const report = await runClientKit({
    startAdapter: () => Adapter.spawn(program[0]!, program.slice(1), timeoutMs),
    timeoutMs,
    only: option(options, '--only')?.split(','),
    write: (line) => console.log(line),
  });
  return report.failed > 0 ? 1 : 0;
}
