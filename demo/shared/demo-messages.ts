// What the demo pages and the demo server say to each other, on top of Pushwire. The pages import
// these types only (`import type`): no server code reaches the browser.

export const CHAT_CHANNEL = 'chat';
export const GAME_CHANNEL = 'connect-four';
export const TICKS_CHANNEL = 'ticks';
/** A synced state channel: the odds board's document, changed by JSON Patch diffs. */
export const ODDS_CHANNEL = 'odds';

/** Published on the chat channel. Texts and names are plain text: pages must never render them as HTML. */
export type ChatEvent = { kind: 'message'; name: string; text: string; at: number } | { kind: 'join' | 'leave'; name: string; at: number };

/** 0 empty, 1 and 2 the players' discs. */
export type Cell = 0 | 1 | 2;
export type Seat = 1 | 2;

/** The whole game, published on the game channel after every change (it is small: 42 cells). */
export interface GameState {
  /** Changes when the demo server restarts: a state from another run is not older or newer, just other. */
  run: string;
  /** Grows with every change within a run: pages keep the newest state they saw. */
  version: number;
  /** rows × columns, row 0 at the top. */
  board: Cell[][];
  /** Names in seat 1 and seat 2 (null: free). */
  players: [string | null, string | null];
  /** Whose move it is; meaningful while `phase` is 'playing'. */
  turn: Seat;
  phase: 'waiting' | 'playing' | 'won' | 'draw';
  winner: Seat | null;
  /** The four (or more) cells that won, [row, column]. */
  line: Array<[number, number]>;
  lastMove: [number, number] | null;
}

/** One market of the odds board: decimal odds for a home win, a draw and an away win. */
export interface Market {
  id: string;
  home: string;
  away: string;
  odds: [home: number, draw: number, away: number];
  /** Which way each price moved last: 1 up, -1 down, 0 unchanged. */
  moves: [number, number, number];
  /** How many times this market's prices changed. */
  changes: number;
}

/** The odds board's state document. */
export interface OddsBoard {
  /** Changes when the demo server restarts (the board starts over). */
  run: string;
  markets: Market[];
}

export interface TickEvent {
  n: number;
  time: string;
}

/** Requests the pages send with `client.send()`; the server's answer is an ack, or an error with a reason. */
export type DemoRequest =
  | { app: 'chat'; type: 'join'; name: string }
  | { app: 'chat'; type: 'say'; text: string }
  | { app: 'chat'; type: 'leave' }
  | { app: 'game'; type: 'sit'; name: string }
  | { app: 'game'; type: 'move'; column: number }
  | { app: 'game'; type: 'leave' }
  | { app: 'game'; type: 'rematch' }
  | { app: 'game'; type: 'sync' };

/** Sent to one session (the client's `message` event): the game as this session sees it. */
export interface GameSnapshot {
  app: 'game';
  state: GameState;
  /** This session's seat, or null for a spectator. */
  seat: Seat | null;
}

export const NAME_MAX = 24;
export const TEXT_MAX = 500;
