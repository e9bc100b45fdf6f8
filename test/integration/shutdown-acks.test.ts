import { afterEach, expect, it } from 'vitest';
import { openClient } from '../support/client-harness.js';
import { closeAll } from '../support/close-after-test.js';
import { startTestServer } from '../support/server-harness.js';

afterEach(closeAll);

it('a server shutting down acknowledges the frames it handled before closing, so their sends resolve instead of staying unknown', async () => {
  const handled: unknown[] = [];
  const server = await startTestServer({
    onMessage: (_session, data) => {
      handled.push(data);
      // Close in the same turn of the event loop, before the debounced ack would go out.
      if (data === 'last') setImmediate(() => void server.close());
    },
  });
  const client = await openClient(server.url);
  await Promise.all([client.send('a'), client.send('b')]);
  // Alone, so that no ack is already scheduled for an earlier frame in the same turn.
  const [outcome] = await Promise.allSettled([client.send('last', { timeout: 3_000 })]);
  expect(handled).toEqual(['a', 'b', 'last']);
  expect(outcome.status === 'rejected' ? String(outcome.reason) : 'fulfilled').toBe('fulfilled');
});
