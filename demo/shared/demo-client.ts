import { ChannelTracker } from './channel-tracker.js';
import { NetworkSwitch } from './network-switch.js';
import type { Pushwire, PushwireClient } from './pushwire-module.js';
import { availableTransports, forcedTransport } from './transport-choice.js';

export interface DemoClient {
  client: PushwireClient;
  network: NetworkSwitch;
  tracker: ChannelTracker;
  /** The transport forced by the URL, or '' for the default order. */
  forced: string;
  /** Every transport this build of the library has. */
  transports: string[];
}

/**
 * The page's one client: the transports the URL asks for (default: the library's own order) behind a
 * switch that can simulate a drop, reconnect delays short enough for a demo, and the inspector's
 * event log fed from the client's events.
 */
export function createDemoClient(pushwire: Pushwire, location: { search: string }): DemoClient {
  const forced = forcedTransport(pushwire, location.search);
  const network = new NetworkSwitch();
  const tracker = new ChannelTracker();
  const client = pushwire.connect('/pushwire', {
    transports: network.wrap(forced ? [forced] : availableTransports(pushwire)),
    reconnect: { min: 300, max: 4000 },
  });
  let opens = 0;
  client.on('open', (info) => {
    opens++;
    if (opens === 1) tracker.log(`connected over ${info.transport}`, 'good');
    else if (info.resumed) tracker.log(`reconnected over ${info.transport}: session resumed, nothing lost`, 'good');
    else tracker.log(`reconnected over ${info.transport}: the server had lost the session, new one started`, 'warn');
  });
  client.on('reconnecting', (info) =>
    tracker.log(`connection lost (${info.reason || info.code}); retry ${info.attempt} in ${Math.round(info.delay)} ms`, 'warn'),
  );
  client.on('close', (info) => tracker.log(`closed: ${info.reason}`, 'warn'));
  client.on('fallback', (info) =>
    tracker.log(
      `${info.from} failed (${info.reason})${info.to ? `: falling back to ${info.to}` : ': every transport failed this round'}`,
      'warn',
    ),
  );
  client.on('upgrade', (info) => tracker.log(`upgraded from ${info.from} to ${info.to}, nothing lost`, 'good'));
  client.on('probe', (info) =>
    tracker.log(`${info.transport} still unavailable (${info.reason}); next try in ${Math.round(info.next / 1000)} s`),
  );
  return { client, network, tracker, forced: forced?.name ?? '', transports: availableTransports(pushwire).map((t) => t.name) };
}
