import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { messageFramePrefix, messageFrameText } from '../../src/server/frames.js';
import { closeAfterTest, closeAll } from '../support/close-after-test.js';
import { startTestServer } from '../support/server-harness.js';
import { waitFor } from '../support/wait.js';

afterEach(closeAll);

type Frame = { t: string; [key: string]: unknown };

const BUFFER_FRAMES = 100;
const FRAME_BYTES = 1_000;

/**
 * A session whose buffer of unacknowledged frames is full while its client is away: it subscribed over
 * a bare WebSocket, acknowledged its `subd`, went away, and the channel then got exactly as many
 * messages as the buffer holds, each exactly FRAME_BYTES bytes as a frame (so the buffer is full by
 * count and by bytes).
 */
async function sessionWithFullBuffer(
  port: number,
  publish: (n: number, filler: string) => Promise<unknown>,
): Promise<{ sid: string; secret: string }> {
  const socket = closeAfterTest(new WebSocket(`ws://127.0.0.1:${port}/pushwire/ws`), (open) => open.terminate());
  const frames: Frame[] = [];
  socket.on('message', (data) => frames.push(JSON.parse(String(data)) as Frame));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ t: 'hello', v: 1 }));
  socket.send(JSON.stringify({ t: 'sub', s: 1, ch: 'feed' }));
  await waitFor(() => frames.some((frame) => frame.t === 'subd'), 'the subscription', 5_000);
  const welcome = frames.find((frame) => frame.t === 'welcome')!;
  const epoch = frames.find((frame) => frame.t === 'subd')!.e as string;
  socket.send(JSON.stringify({ t: 'ack', n: 1 }));
  const gone = new Promise((resolve) => socket.once('close', resolve));
  socket.close();
  await gone;
  for (let n = 1; n <= BUFFER_FRAMES; n++) {
    // Pad the payload so that the frame `{"t":"m",…,"q":n,"d":{"n":n,"p":"…"}}` is FRAME_BYTES bytes.
    const bare = messageFrameText(messageFramePrefix('feed', epoch), n, JSON.stringify({ n, p: '' }));
    await publish(n, '.'.repeat(FRAME_BYTES - Buffer.byteLength(bare)));
  }
  return { sid: welcome.sid as string, secret: welcome.secret as string };
}

/** Reads the frames of an SSE response until `until` holds for them (or the stream ends). */
async function readEvents(res: Response, until: (frames: Frame[]) => boolean): Promise<Frame[]> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const frames: Frame[] = [];
  let text = '';
  const deadline = Date.now() + 10_000;
  while (!until(frames) && Date.now() < deadline) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    const events = text.split('\n\n');
    text = events.pop()!;
    for (const event of events) if (event.startsWith('data: ')) frames.push(JSON.parse(event.slice(6)) as Frame);
  }
  await reader.cancel();
  return frames;
}

/** Long-polls connection `token` until `until` holds for the frames received so far (bounded). */
async function pollUntil(url: string, token: string, first: string, until: (frames: Frame[]) => boolean): Promise<Frame[]> {
  const frames: Frame[] = first
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Frame);
  let received = 1;
  for (let polls = 0; polls < 20 && !until(frames) && !frames.some((frame) => frame.t === 'close'); polls++) {
    const res = await fetch(`${url}/poll`, { headers: { 'pushwire-connection': token, 'pushwire-received': String(received) } });
    if (res.status !== 200) break;
    received = Number(res.headers.get('pushwire-batch'));
    for (const line of (await res.text()).split('\n').filter(Boolean)) frames.push(JSON.parse(line) as Frame);
  }
  return frames;
}

const allReplayed = (frames: Frame[]): boolean => frames.filter((frame) => frame.t === 'm').length >= BUFFER_FRAMES;

describe.each(['sse', 'long-polling'] as const)('a resume over %s when the session buffer is full (finding 4)', (transport) => {
  it('is welcomed as resumed and replays the whole buffer: the connection queue has room for welcome + replay', async () => {
    const server = await startTestServer({ outbound: { maxFrames: BUFFER_FRAMES, maxBytes: BUFFER_FRAMES * FRAME_BYTES } });
    const { sid, secret } = await sessionWithFullBuffer(server.port, (n, filler) => server.pushwire.publish('feed', { n, p: filler }));
    const hello = JSON.stringify({ t: 'hello', v: 1, sid, secret, rx: 1 });

    let frames: Frame[];
    if (transport === 'sse') {
      frames = await readEvents(await fetch(`${server.url}/sse`, { method: 'POST', body: hello }), allReplayed);
    } else {
      const open = await fetch(`${server.url}/poll`, { method: 'POST', body: hello });
      frames = await pollUntil(server.url, open.headers.get('pushwire-connection')!, await open.text(), allReplayed);
    }

    expect(frames[0]).toMatchObject({ t: 'welcome', resumed: true, rx: 1 });
    expect(frames.filter((frame) => frame.t === 'close')).toEqual([]);
    expect(frames.filter((frame) => frame.t === 'm').map((frame) => frame.q)).toEqual(
      Array.from({ length: BUFFER_FRAMES }, (_, index) => index + 1),
    );
    expect(server.pushwire.stats().counters.sessionsEnded.evicted).toBe(0);
    // A long-polling connection keeps its last batch until a poll confirms it: counted in the budget.
    if (transport === 'long-polling') expect(server.pushwire.stats().memory.queues).toBeGreaterThan(0);
  });
});
