import { TICKS_CHANNEL, type TickEvent } from '../shared/demo-messages.js';
import type { DemoClient } from '../shared/demo-client.js';
import { urlForcing } from '../shared/transport-choice.js';
import { fill, h } from './dom.js';

const PING_EVERY = 2000;

/** The connection inspector: what the client is doing right now, and buttons to disturb it. */
export function inspectorCard({ client, network, tracker, forced, transports }: DemoClient): HTMLElement {
  let opens = 0;
  let newSessions = 0;
  let rtt: number | null = null;
  let tick: TickEvent | null = null;
  const facts = h('dl', { class: 'facts', 'data-testid': 'inspector-facts' });
  const channels = h('tbody');
  const events = h('ol', { class: 'events', 'data-testid': 'inspector-events' });
  const select = h(
    'select',
    { 'data-testid': 'transport-select', 'aria-label': 'Transport' },
    h('option', { value: '', title: transports.join(' → ') }, 'auto (fallback order)'),
    ...transports.map((name) => h('option', { value: name, selected: name === forced }, `only ${name}`)),
  );
  select.addEventListener('change', () => location.assign(urlForcing(select.value, location.href)));

  const fact = (label: string, value: Node | string, id: string): Node[] => [h('dt', {}, label), h('dd', { 'data-testid': id }, value)];

  const render = (): void => {
    const snapshot = tracker.getSnapshot();
    fill(
      facts,
      ...fact('State', h('span', { class: 'badge', dataset: { state: client.state } }, client.state), 'state'),
      ...fact('Transport', client.transport ?? '–', 'transport'),
      ...fact('Round trip', rtt === null || client.state !== 'open' ? '–' : `${rtt.toFixed(0)} ms`, 'rtt'),
      ...fact('Server tick', tick ? `#${tick.n} at ${new Date(tick.time).toLocaleTimeString()}` : '–', 'tick'),
      ...fact('Session', client.sessionId ? `${client.sessionId.slice(0, 8)}…` : '–', 'session'),
      ...fact('Reconnects', String(Math.max(0, opens - 1)), 'reconnects'),
      ...fact('New sessions', String(newSessions), 'new-sessions'),
      ...fact('Resets', String(snapshot.resets), 'resets'),
    );
    fill(
      channels,
      ...snapshot.channels.map((record) =>
        h(
          'tr',
          { 'data-channel': record.channel },
          h('td', {}, record.channel),
          h('td', {}, h('span', { class: 'badge', dataset: { status: record.status } }, record.status)),
          h('td', { title: record.epoch }, record.epoch ? record.epoch.slice(0, 6) : '–'),
          h('td', { 'data-testid': `seq-${record.channel}` }, String(record.seq)),
        ),
      ),
    );
    fill(
      events,
      ...snapshot.events.map((event) =>
        h('li', { dataset: { tone: event.tone } }, h('time', {}, new Date(event.at).toLocaleTimeString()), event.text),
      ),
    );
  };

  const measure = (): void => {
    if (client.state !== 'open') return;
    client.ping().then(
      (ms) => {
        rtt = ms;
        render();
      },
      () => {},
    );
  };
  client.on('open', ({ resumed }) => {
    if (++opens > 1 && !resumed) newSessions++;
    measure();
    render();
  });
  client.on('state', render);
  tracker.subscribe(render);
  // The server's once-a-second tick: live traffic to watch, with its sequence number in the table.
  tracker.subscribing(TICKS_CHANNEL);
  client.subscribe<TickEvent>(TICKS_CHANNEL, {
    onMessage(event, info) {
      tick = event;
      tracker.delivered(info);
    },
    onSubscribed: (info) => tracker.subscribed(info),
  });
  setInterval(measure, PING_EVERY);
  render();

  return h(
    'section',
    { class: 'card area-inspector', 'data-testid': 'inspector' },
    h('header', {}, h('h2', {}, 'Connection inspector')),
    facts,
    h(
      'table',
      { class: 'channels' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Channel'), h('th', {}, 'Status'), h('th', {}, 'Epoch'), h('th', {}, 'Last seq'))),
      channels,
    ),
    h(
      'div',
      { class: 'controls' },
      h('label', {}, 'Transport', select),
      h(
        'button',
        { type: 'button', class: 'secondary', 'data-testid': 'drop', onclick: () => network.drop(3000) },
        'Simulate network drop (3 s)',
      ),
    ),
    events,
  );
}
