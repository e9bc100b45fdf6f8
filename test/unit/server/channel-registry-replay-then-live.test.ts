// @vitest-environment node
import { afterEach, describe, expect, it } from 'vitest';
import type { Broker, BrokerListener, HistoryQuery, HistoryResult } from '../../../src/server/broker/broker.js';
import { MemoryBroker } from '../../../src/server/broker/memory.js';
import { ChannelRegistry } from '../../../src/server/channels.js';
import type { Connection } from '../../../src/server/connection.js';
import { silentLogger } from '../../../src/server/logger.js';
import { OutFrame } from '../../../src/server/out-frame.js';
import { ServerSession, type SessionHost } from '../../../src/server/session.js';
import { closeAfterTest, closeAll } from '../../support/close-after-test.js';
import { delay, waitFor } from '../../support/wait.js';

type Frame = { t: string; [field: string]: unknown };

/**
 * The memory broker with two hooks: `beforeHistory` runs inside every history call (to publish while a
 * subscription is replaying), and `dropLive` hides chosen messages from live listeners (as a shared
 * store's pub/sub may), leaving them in history.
 */
class HookedBroker implements Broker {
  constructor(readonly inner = new MemoryBroker()) {}
  beforeHistory: (() => Promise<void>) | null = null;
  dropLive = new Set<number>();
  /** Rewrites live messages as if the store had restarted: this epoch, numbered from 1 again. */
  restartedEpoch: string | null = null;
  private restartedSeq = 0;

  publish(channel: string, json: string) {
    return this.inner.publish(channel, json);
  }
  subscribe(channel: string, listener: BrokerListener) {
    return this.inner.subscribe(channel, (message) => {
      if (this.dropLive.has(message.seq)) return;
      if (this.restartedEpoch) listener({ ...message, epoch: this.restartedEpoch, seq: ++this.restartedSeq });
      else listener(message);
    });
  }
  async history(channel: string, query: HistoryQuery): Promise<HistoryResult> {
    const hook = this.beforeHistory;
    this.beforeHistory = null;
    await hook?.();
    return this.inner.history(channel, query);
  }
  state(channel: string) {
    return this.inner.state(channel);
  }
  publishState(...args: Parameters<Broker['publishState']>) {
    return this.inner.publishState(...args);
  }
  close() {
    return this.inner.close();
  }
}

const host: SessionHost = {
  handle: async () => {},
  overflow: () => {},
  end: () => {},
};

/** A session whose connection records every frame sent to it. */
function session(): { session: ServerSession; frames: Frame[] } {
  const frames: Frame[] = [];
  const made = new ServerSession('sid', 'secret', null, { maxFrames: 10_000, maxBytes: 1 << 24 }, host);
  const connection: Connection = {
    transport: 'websocket',
    pendingBytes: 0,
    send: (frame: OutFrame) => void frames.push(JSON.parse(frame.text) as Frame),
    close: () => {},
  };
  made.attach(connection, new OutFrame('{"t":"welcome"}', false), 0);
  frames.length = 0; // the welcome
  return { session: made, frames };
}

afterEach(closeAll);

function setup(inner?: MemoryBroker) {
  const broker = closeAfterTest(new HookedBroker(inner));
  const registry = closeAfterTest(new ChannelRegistry(broker, silentLogger));
  const publish = async (count: number) => {
    for (let i = 0; i < count; i++) await broker.publish('news', JSON.stringify(`p${i}`));
  };
  return { broker, registry, publish };
}

/** The channel frames as a compact trace: `subd:st:q:h` and `m:q`. */
function trace(frames: Frame[]): string[] {
  return frames.map((f) => (f.t === 'subd' ? `subd:${f.st}:${f.q}:${f.h}` : `${f.t}:${f.q}`));
}

async function epochOf(broker: HookedBroker): Promise<string> {
  return (await broker.inner.history('news', {})).epoch;
}

describe('ChannelRegistry.subscribe: replay, then live, nothing lost or doubled in between', () => {
  it('a new subscription confirms at the head and then gets live messages', async () => {
    const { registry, publish } = setup();
    await publish(3);
    const { session: s, frames } = session();
    await registry.subscribe(s, 'news');
    await publish(2);
    expect(trace(frames)).toEqual(['subd:new:3:3', 'm:4', 'm:5']);
  });

  it('from a position in history: recovered, the missed messages in order, then live', async () => {
    const { broker, registry, publish } = setup();
    await publish(5);
    const { session: s, frames } = session();
    await registry.subscribe(s, 'news', [await epochOf(broker), 2]);
    await publish(1);
    expect(trace(frames)).toEqual(['subd:recovered:2:5', 'm:3', 'm:4', 'm:5', 'm:6']);
  });

  it('messages published while the replay is read from history come after it, exactly once', async () => {
    const { broker, registry, publish } = setup();
    await publish(5);
    const epoch = await epochOf(broker);
    await registry.subscribe(session().session, 'news'); // the channel's hub is running already
    const { session: s, frames } = session();
    broker.beforeHistory = () => publish(3);
    await registry.subscribe(s, 'news', [epoch, 1]);
    await publish(1);
    expect(trace(frames)).toEqual(['subd:recovered:1:5', 'm:2', 'm:3', 'm:4', 'm:5', 'm:6', 'm:7', 'm:8', 'm:9']);
  });

  it('messages published while the channel hub starts are part of the replay, exactly once', async () => {
    const { broker, registry, publish } = setup();
    await publish(5);
    const epoch = await epochOf(broker);
    const { session: s, frames } = session();
    broker.beforeHistory = () => publish(3);
    await registry.subscribe(s, 'news', [epoch, 1]);
    await publish(1);
    expect(trace(frames)).toEqual(['subd:recovered:1:8', 'm:2', 'm:3', 'm:4', 'm:5', 'm:6', 'm:7', 'm:8', 'm:9']);
  });

  it('from the head itself: recovered with nothing to replay', async () => {
    const { broker, registry, publish } = setup();
    await publish(4);
    const { session: s, frames } = session();
    await registry.subscribe(s, 'news', [await epochOf(broker), 4]);
    await publish(1);
    expect(trace(frames)).toEqual(['subd:recovered:4:4', 'm:5']);
  });

  it('from a position of another epoch whose history is whole: reset, then the whole new epoch, then live', async () => {
    const { registry, publish } = setup();
    await publish(4);
    const { session: s, frames } = session();
    await registry.subscribe(s, 'news', ['gone', 2]);
    await publish(1);
    expect(trace(frames)).toEqual(['subd:reset:0:4', 'm:1', 'm:2', 'm:3', 'm:4', 'm:5']);
  });

  it('from a position of another epoch whose history is trimmed: reset at the head, then live', async () => {
    const { registry, publish } = setup(new MemoryBroker({ history: { size: 2 } }));
    await publish(4);
    const { session: s, frames } = session();
    await registry.subscribe(s, 'news', ['gone', 2]);
    await publish(1);
    expect(trace(frames)).toEqual(['subd:reset:4:4', 'm:5']);
  });

  it('rewind replays up to that many recent messages as a new subscription', async () => {
    const { registry, publish } = setup();
    await publish(5);
    const { session: s, frames } = session();
    await registry.subscribe(s, 'news', undefined, 2);
    await publish(1);
    expect(trace(frames)).toEqual(['subd:new:3:5', 'm:4', 'm:5', 'm:6']);
  });

  it('subscribing again replaces the old subscription: no message is sent twice', async () => {
    const { broker, registry, publish } = setup();
    await publish(2);
    const { session: s, frames } = session();
    await registry.subscribe(s, 'news');
    await registry.subscribe(s, 'news', [await epochOf(broker), 2]);
    await publish(2);
    expect(trace(frames)).toEqual(['subd:new:2:2', 'subd:recovered:2:2', 'm:3', 'm:4']);
  });

  it('every subscriber of a channel gets the same frame bytes', async () => {
    const { registry, publish } = setup();
    const a = session();
    const b = session();
    const sent: OutFrame[][] = [[], []];
    a.session.connection!.send = (frame) => void sent[0]!.push(frame);
    b.session.connection!.send = (frame) => void sent[1]!.push(frame);
    await registry.subscribe(a.session, 'news');
    await registry.subscribe(b.session, 'news');
    await publish(1);
    expect(sent[0]!.at(-1)).toBe(sent[1]!.at(-1));
  });

  it('unsubscribe stops delivery and releases the channel', async () => {
    const { registry, publish } = setup();
    const { session: s, frames } = session();
    await registry.subscribe(s, 'news');
    registry.unsubscribe(s, 'news');
    await publish(1);
    expect(trace(frames)).toEqual(['subd:new:0:0']);
    expect(registry.size).toBe(0);
  });
});

describe('ChannelHub gap repair of the live stream', () => {
  it('fills a message lost by the live stream from history, in order', async () => {
    const { broker, registry, publish } = setup();
    const { session: s, frames } = session();
    await registry.subscribe(s, 'news');
    broker.dropLive.add(2);
    await publish(4);
    await delay(0);
    expect(trace(frames)).toEqual(['subd:new:0:0', 'm:1', 'm:2', 'm:3', 'm:4']);
  });

  it('resets subscribers when the lost message is no longer in history', async () => {
    const { broker, registry, publish } = setup(new MemoryBroker({ history: { size: 0 } }));
    const { session: s, frames } = session();
    await registry.subscribe(s, 'news');
    broker.dropLive.add(2);
    await publish(3);
    await delay(0);
    expect(trace(frames)).toEqual(['subd:new:0:0', 'm:1', 'subd:reset:2:2', 'm:3']);
  });

  it('resets every subscriber when a live message comes in a new epoch, then delivers in that epoch', async () => {
    const { broker, registry, publish } = setup();
    const a = session();
    const b = session();
    await registry.subscribe(a.session, 'news');
    await registry.subscribe(b.session, 'news');
    await publish(2);
    broker.restartedEpoch = 'F';
    await publish(2);
    // The hub first asks history for the new epoch from its start (this fake's history has none of it).
    await waitFor(() => a.frames.length === 6 && b.frames.length === 6, 'the reset and the new epoch’s messages');
    for (const { frames } of [a, b]) {
      expect(trace(frames)).toEqual(['subd:new:0:0', 'm:1', 'm:2', 'subd:reset:0:0', 'm:1', 'm:2']);
      expect(frames.slice(-3).map((f) => f.e)).toEqual(['F', 'F', 'F']);
    }
  });
});
