import { afterEach, expect, it } from 'vitest';
import type { PushwireClient } from '../../src/client/index.js';
import type { PushwireServer } from '../../src/server/index.js';
import { connectClient, opened, startServer } from './helpers.js';

let server: PushwireServer | undefined;
let client: PushwireClient | undefined;

afterEach(async () => {
  client?.close();
  await server?.close();
  server = client = undefined;
});

it('a server shutting down acknowledges the frames it handled before closing, so their sends resolve instead of staying unknown', async () => {
  const handled: unknown[] = [];
  const started = await startServer({
    onMessage: (_session, data) => {
      handled.push(data);
      // Close in the same turn of the event loop, before the debounced ack would go out.
      if (data === 'last') setImmediate(() => void server!.close());
    },
  });
  server = started.server;
  client = connectClient(started.url);
  await opened(client);
  await Promise.all([client.send('a'), client.send('b')]);
  // Alone, so that no ack is already scheduled for an earlier frame in the same turn.
  const [outcome] = await Promise.allSettled([client.send('last', { timeout: 3_000 })]);
  expect(handled).toEqual(['a', 'b', 'last']);
  expect(outcome.status === 'rejected' ? String(outcome.reason) : 'fulfilled').toBe('fulfilled');
});
