import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import winston from 'winston';
import type { Logger } from '../../../src/server/index.js';
import { openClient } from '../../support/client-harness.js';
import { closeAll } from '../../support/close-after-test.js';
import { startTestServer } from '../../support/server-harness.js';
import { waitFor } from '../../support/wait.js';

afterEach(closeAll);

type Entry = Record<string, unknown>;

/** A real logger of each kind, at debug level, writing its JSON lines into `entries`. */
const LOGGERS: Array<[string, (entries: Entry[]) => Logger]> = [
  ['pino', (entries) => pino({ level: 'debug' }, { write: (line: string) => entries.push(JSON.parse(line) as Entry) })],
  ['winston', (entries) => winston.createLogger({ level: 'debug', format: winston.format.json(), transports: [streamInto(entries)] })],
  [
    'winston with syslog levels (no `warn`)',
    (entries) =>
      winston.createLogger({
        levels: winston.config.syslog.levels,
        level: 'debug',
        format: winston.format.json(),
        transports: [streamInto(entries)],
      }),
  ],
];

function streamInto(entries: Entry[]): winston.transport {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      entries.push(JSON.parse(chunk.toString()) as Entry);
      done();
    },
  });
  return new winston.transports.Stream({ stream });
}

/** pino names the message `msg`, winston `message`. */
const messageOf = (entry: Entry): unknown => entry.msg ?? entry.message;

describe.each(LOGGERS)('a %s logger passed as the logger option', (_name, make) => {
  it('gets every field of the server’s entries, at every level', async () => {
    const entries: Entry[] = [];
    let sid = '';
    const server = await startTestServer({
      logger: make(entries),
      onConnection: (session) => {
        sid = session.id;
      },
      onClose: () => {
        throw new Error('onClose failed');
      },
    });
    const client = await openClient(server.url);
    await client.close();
    await waitFor(() => entries.some((entry) => String(messageOf(entry)).includes('onClose')), 'the onClose failure to be logged');

    const open = entries.find((entry) => messageOf(entry) === 'session open');
    expect(open).toMatchObject({ session: sid, resumed: false, transport: 'websocket' });
    const failure = entries.find((entry) => String(messageOf(entry)).includes('onClose'));
    expect(failure).toMatchObject({ error: expect.stringContaining('onClose failed') });
  });
});
