import type { StateChange } from 'pushwire/sync';
import type { Market, OddsBoard } from '../shared/demo-messages.js';
import type { ChannelTracker } from './channel-tracker.js';

export const OUTCOMES = ['1', 'X', '2'] as const;

export const price = (odds: number): string => odds.toFixed(2);

export const arrow = (move: number): string => (move > 0 ? '▲' : move < 0 ? '▼' : '');

export const matchName = (market: Market): string => `${market.home} – ${market.away}`;

/** Feeds the inspector from the board's synced state: its position, and its resets. */
export function trackOdds(tracker: ChannelTracker, change: StateChange<OddsBoard>): void {
  const info = { channel: 'odds', epoch: change.epoch, seq: change.seq };
  if (change.type === 'patch') tracker.delivered(info);
  else tracker.subscribed({ ...info, status: change.type === 'init' ? 'new' : 'reset', head: change.seq });
}
