import { useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import type { MessageInfo, PushwireClient } from '../../../src/client/index.js';
import { type ChannelView, useChannel, type UseChannelOptions } from '../../../src/react/index.js';
import { connectClient } from '../../support/client-harness.js';
import { closeAll } from '../../support/close-after-test.js';
import { RestartableServer } from '../../support/restartable-server.js';
import { delay, waitFor } from '../../support/wait.js';
import { renderWithClient, unmountAll } from './render.js';

afterEach(closeAll);

interface Probe {
  views: ChannelView[];
  received: Array<{ data: unknown; seq: number; by: string }>;
  /** Replaces the message handler (a re-render with a new inline function). */
  setHandlerName(name: string): void;
  setChannel(channel: string): void;
}

function mount(client: PushwireClient, channel: string, options: UseChannelOptions = {}, strict = false): Probe {
  const probe: Probe = { views: [], received: [], setHandlerName: () => {}, setChannel: () => {} };
  function Channel(): null {
    const [name, setName] = useState('first');
    const [current, setCurrent] = useState(channel);
    probe.setHandlerName = setName;
    probe.setChannel = setCurrent;
    const view = useChannel(current, (data, info: MessageInfo) => probe.received.push({ data, seq: info.seq, by: name }), options);
    if (probe.views.at(-1) !== view) probe.views.push(view);
    return null;
  }
  renderWithClient(client, <Channel />, { strict });
  return probe;
}

const status = (probe: Probe): string | undefined => probe.views.at(-1)?.status;

describe('useChannel', () => {
  it('subscribes on mount, reports the status and delivers messages in order', async () => {
    const server = await RestartableServer.start();
    const client = connectClient(server.url);
    const probe = mount(client, 'news');
    await waitFor(() => probe.views.length > 0, 'first render');
    expect(probe.views[0]!.status).toBe('subscribing');
    await waitFor(() => status(probe) === 'new', 'subscribed');
    for (let i = 1; i <= 3; i++) await server.pushwire!.publish('news', i);
    await waitFor(() => probe.received.length === 3, 'three messages');
    expect(probe.received.map((r) => [r.data, r.seq])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
  });

  it('calls the latest handler without subscribing again', async () => {
    const server = await RestartableServer.start();
    const client = connectClient(server.url);
    const probe = mount(client, 'news');
    await waitFor(() => status(probe) === 'new', 'subscribed');
    await server.pushwire!.publish('news', 'a');
    await waitFor(() => probe.received.length === 1, 'first');
    probe.setHandlerName('second');
    await delay(20);
    await server.pushwire!.publish('news', 'b');
    await waitFor(() => probe.received.length === 2, 'second');
    expect(probe.received.map((r) => r.by)).toEqual(['first', 'second']);
    // One confirmation only: a resubscribe would have produced a second one.
    expect(probe.views.filter((view) => view.info).map((view) => view.status)).toEqual(['new']);
  });

  it('survives StrictMode double mounting: one subscription, history replayed once', async () => {
    const server = await RestartableServer.start();
    for (let i = 1; i <= 5; i++) await server.pushwire!.publish('chat', `old ${i}`);
    const client = connectClient(server.url);
    // Mounted while open, so the unsubscribe and subscribe really go out (queued offline, they'd be coalesced).
    await waitFor(() => client.state === 'open', 'open');
    const probe = mount(client, 'chat', { rewind: 5 }, true);
    await waitFor(() => probe.received.length >= 5, 'history');
    await server.pushwire!.publish('chat', 'live');
    await waitFor(() => probe.received.length >= 6, 'live message');
    await delay(50);
    expect(probe.received.map((r) => r.data)).toEqual(['old 1', 'old 2', 'old 3', 'old 4', 'old 5', 'live']);
    expect(server.pushwire!.stats().channels).toBe(1);
  });

  it('unsubscribes when the component unmounts', async () => {
    const server = await RestartableServer.start();
    const client = connectClient(server.url);
    const probe = mount(client, 'news');
    await waitFor(() => status(probe) === 'new', 'subscribed');
    expect(server.pushwire!.stats().channels).toBe(1);
    unmountAll();
    await waitFor(() => server.pushwire!.stats().channels === 0, 'server dropped the subscription');
  });

  it('moves to the new channel when the channel changes', async () => {
    const server = await RestartableServer.start();
    const client = connectClient(server.url);
    const probe = mount(client, 'room-1');
    await waitFor(() => status(probe) === 'new', 'subscribed');
    probe.setChannel('room-2');
    await waitFor(() => status(probe) === 'new' && probe.views.at(-1)!.info?.channel === 'room-2', 'moved');
    await server.pushwire!.publish('room-1', 'not for us');
    await server.pushwire!.publish('room-2', 'for us');
    await waitFor(() => probe.received.length === 1, 'message');
    await delay(30);
    expect(probe.received.map((r) => r.data)).toEqual(['for us']);
    expect(server.pushwire!.stats().channels).toBe(1);
  });

  it('reports recovered after a restart that kept history, with what was published meanwhile', async () => {
    const server = await RestartableServer.start();
    const client = connectClient(server.url);
    const probe = mount(client, 'news');
    await waitFor(() => status(probe) === 'new', 'subscribed');
    await server.pushwire!.publish('news', 1);
    await waitFor(() => probe.received.length === 1, 'first');
    await server.stop();
    await server.broker.publish('news', '2'); // published while this node was down
    await server.restart({ keepHistory: true });
    await waitFor(() => status(probe) === 'recovered', 'recovered');
    await waitFor(() => probe.received.length === 2, 'missed message replayed');
    expect(probe.received.map((r) => r.data)).toEqual([1, 2]);
    expect(probe.views.at(-1)!.resets).toBe(0);
  });

  it('reports reset (and calls onReset) after a restart that lost the history', async () => {
    const server = await RestartableServer.start();
    const client = connectClient(server.url);
    const resets: number[] = [];
    const probe = mount(client, 'news', { onReset: (info) => resets.push(info.seq) });
    await waitFor(() => status(probe) === 'new', 'subscribed');
    await server.pushwire!.publish('news', 1);
    await waitFor(() => probe.received.length === 1, 'first');
    await server.restart({ keepHistory: false });
    await waitFor(() => status(probe) === 'reset', 'reset');
    expect(probe.views.at(-1)!.resets).toBe(1);
    expect(resets).toEqual([0]);
    await server.pushwire!.publish('news', 'after');
    await waitFor(() => probe.received.length === 2, 'live again');
    expect(probe.received[1]).toMatchObject({ data: 'after', seq: 1 });
  });

  it('reports a refused subscription as an error', async () => {
    const server = await RestartableServer.start({ canSubscribe: (_session, channel) => channel !== 'secret' });
    const client = connectClient(server.url);
    const probe = mount(client, 'secret');
    await waitFor(() => status(probe) === 'error', 'refused');
    expect(probe.views.at(-1)!.error?.code).toBe('forbidden');
  });

  it('stays unsubscribed while disabled', async () => {
    const server = await RestartableServer.start();
    const client = connectClient(server.url);
    const probe = mount(client, 'news', { enabled: false });
    await waitFor(() => client.state === 'open', 'open');
    await delay(50);
    expect(server.pushwire!.stats().channels).toBe(0);
    expect(status(probe)).toBe('subscribing');
  });
});
