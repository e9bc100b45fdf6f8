import type { GameState, Seat } from '../shared/demo-messages.js';

export const COLOUR: Record<Seat, string> = { 1: 'Red', 2: 'Yellow' };

/** The one-line status above the board, from the point of view of `seat` (null: a spectator). */
export function gameStatus(state: GameState, seat: Seat | null): string {
  const name = (s: Seat): string => state.players[s - 1] ?? COLOUR[s];
  switch (state.phase) {
    case 'waiting':
      return seat ? 'Waiting for an opponent to take the other seat…' : 'Waiting for two players to take a seat.';
    case 'playing':
      if (seat === state.turn) return `Your move (${COLOUR[seat]}).`;
      if (seat) return `Waiting for ${name(state.turn)} to move…`;
      return `${name(state.turn)} (${COLOUR[state.turn]}) to move.`;
    case 'won':
      if (seat && state.winner === seat) return 'You win!';
      return `${name(state.winner!)} (${COLOUR[state.winner!]}) wins.`;
    case 'draw':
      return 'A draw: the board is full.';
  }
}

/** Keeps the newer of two states: a state from another server run replaces the old one outright. */
export function newerGame(current: GameState | null, next: GameState): GameState {
  if (!current || current.run !== next.run || next.version > current.version) return next;
  return current;
}
