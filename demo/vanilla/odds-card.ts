import type { SyncedState } from 'pushwire/sync';
import { ODDS_CHANNEL, type Market, type OddsBoard } from '../shared/demo-messages.js';
import type { DemoClient } from '../shared/demo-client.js';
import type { PushwireSync } from '../shared/pushwire-module.js';
import { arrow, matchName, OUTCOMES, price, trackOdds } from '../shared/odds-text.js';
import { fill, h } from './dom.js';

/** The live odds board: a synced state channel (snapshot, then diffs); says when it had to reset. */
export function oddsCard({ client, tracker }: DemoClient, sync: PushwireSync): HTMLElement {
  const status = h('span', { class: 'badge', dataset: { status: 'subscribing' }, 'data-testid': 'odds-status' }, 'loading');
  const position = h('span', { class: 'sub', 'data-testid': 'odds-seq' });
  const resetNote = h('p', { class: 'reset-note', 'data-testid': 'odds-reset', hidden: true });
  const rows = h('tbody');
  const table = h(
    'table',
    { class: 'odds', 'data-testid': 'odds-table' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Match'), ...OUTCOMES.map((o) => h('th', { class: 'num' }, o)))),
    rows,
  );

  const row = (market: Market): HTMLTableRowElement =>
    h(
      'tr',
      { 'data-market': market.id },
      h('td', { class: 'match' }, matchName(market)),
      ...market.odds.map((odds, i) =>
        h(
          'td',
          { class: 'num price', dataset: { move: String(market.moves[i]) } },
          price(odds),
          h('span', { class: 'arrow' }, arrow(market.moves[i]!)),
        ),
      ),
    );

  const synced: SyncedState<OddsBoard> = sync.syncedState<OddsBoard>(client, ODDS_CHANNEL);
  let resets = 0;
  synced.on('change', (change) => {
    trackOdds(tracker, change);
    status.textContent = change.type === 'reset' ? 'reset' : 'live';
    status.dataset.status = change.type === 'reset' ? 'reset' : 'recovered';
    position.textContent = `#${change.seq}`;
    if (change.type === 'reset') {
      resets++;
      resetNote.hidden = false;
      resetNote.textContent = `Reset ${resets}× — last at ${new Date().toLocaleTimeString()}: updates were lost, so the board reloaded a fresh snapshot.`;
    }
    fill(rows, ...(change.state?.markets ?? []).map(row));
  });
  synced.on('error', (error) => {
    status.textContent = 'error';
    status.dataset.status = 'error';
    resetNote.hidden = false;
    resetNote.textContent = error.message;
  });

  return h(
    'section',
    { class: 'card area-odds', 'data-testid': 'odds' },
    h('header', {}, h('h2', {}, 'Live odds board'), status, position),
    h('p', { class: 'hint' }, '20 markets in one synced state channel: a snapshot, then each price move as a JSON Patch diff.'),
    resetNote,
    table,
  );
}
