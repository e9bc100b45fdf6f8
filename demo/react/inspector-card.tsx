import { useChannel, useConnection, usePushwire } from 'pushwire/react';
import { useEffect, useState, useSyncExternalStore } from 'react';
import { TICKS_CHANNEL, type TickEvent } from '../shared/demo-messages.js';
import type { DemoClient } from '../shared/demo-client.js';
import { urlForcing } from '../shared/transport-choice.js';

const PING_EVERY = 2000;

/** The connection inspector: what the client is doing right now, and buttons to disturb it. */
export function InspectorCard({ demo }: { demo: DemoClient }) {
  const client = usePushwire();
  const connection = useConnection();
  const { channels, events, resets } = useSyncExternalStore(demo.tracker.subscribe, demo.tracker.getSnapshot);
  const [rtt, setRtt] = useState<number | null>(null);
  const [tick, setTick] = useState<TickEvent | null>(null);

  // The server's once-a-second tick: live traffic to watch, with its sequence number in the table.
  useEffect(() => demo.tracker.subscribing(TICKS_CHANNEL), [demo.tracker]);
  useChannel<TickEvent>(
    TICKS_CHANNEL,
    (event, info) => {
      demo.tracker.delivered(info);
      setTick(event);
    },
    { onSubscribed: (info) => demo.tracker.subscribed(info) },
  );

  useEffect(() => {
    if (connection.state !== 'open') return;
    const measure = (): void => void client.ping().then(setRtt, () => {});
    measure();
    const timer = setInterval(measure, PING_EVERY);
    return () => clearInterval(timer);
  }, [client, connection.state, connection.sessionId]);

  return (
    <section className="card area-inspector" data-testid="inspector">
      <header>
        <h2>Connection inspector</h2>
      </header>
      <dl className="facts" data-testid="inspector-facts">
        <dt>State</dt>
        <dd data-testid="state">
          <span className="badge" data-state={connection.state}>
            {connection.state}
          </span>
        </dd>
        <dt>Transport</dt>
        <dd data-testid="transport">{connection.transport ?? '–'}</dd>
        <dt>Round trip</dt>
        <dd data-testid="rtt">{rtt === null || connection.state !== 'open' ? '–' : `${rtt.toFixed(0)} ms`}</dd>
        <dt>Server tick</dt>
        <dd data-testid="tick">{tick ? `#${tick.n} at ${new Date(tick.time).toLocaleTimeString()}` : '–'}</dd>
        <dt>Session</dt>
        <dd data-testid="session">{connection.sessionId ? `${connection.sessionId.slice(0, 8)}…` : '–'}</dd>
        <dt>Reconnects</dt>
        <dd data-testid="reconnects">{connection.reconnects}</dd>
        <dt>New sessions</dt>
        <dd data-testid="new-sessions">{connection.newSessions}</dd>
        <dt>Resets</dt>
        <dd data-testid="resets">{resets}</dd>
      </dl>
      <table className="channels">
        <thead>
          <tr>
            <th>Channel</th>
            <th>Status</th>
            <th>Epoch</th>
            <th>Last seq</th>
          </tr>
        </thead>
        <tbody>
          {channels.map((record) => (
            <tr key={record.channel} data-channel={record.channel}>
              <td>{record.channel}</td>
              <td>
                <span className="badge" data-status={record.status}>
                  {record.status}
                </span>
              </td>
              <td title={record.epoch}>{record.epoch ? record.epoch.slice(0, 6) : '–'}</td>
              <td data-testid={`seq-${record.channel}`}>{record.seq}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="controls">
        <label>
          Transport
          <select
            data-testid="transport-select"
            aria-label="Transport"
            value={demo.forced}
            onChange={(e) => location.assign(urlForcing(e.target.value, location.href))}
          >
            <option value="" title={demo.transports.join(' → ')}>
              auto (fallback order)
            </option>
            {demo.transports.map((name) => (
              <option key={name} value={name}>
                only {name}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="secondary" data-testid="drop" onClick={() => demo.network.drop(3000)}>
          Simulate network drop (3 s)
        </button>
      </div>
      <ol className="events" data-testid="inspector-events">
        {events.map((event, i) => (
          <li key={`${i}-${event.at}`} data-tone={event.tone}>
            <time>{new Date(event.at).toLocaleTimeString()}</time>
            {event.text}
          </li>
        ))}
      </ol>
    </section>
  );
}
