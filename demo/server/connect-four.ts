import type { Cell, Seat } from '../shared/demo-messages.js';

export const ROWS = 6;
export const COLUMNS = 7;

export function emptyBoard(): Cell[][] {
  return Array.from({ length: ROWS }, () => Array<Cell>(COLUMNS).fill(0));
}

/** Drops a disc into `column`; returns the row it landed in, or null if the column is full or doesn't exist. */
export function dropDisc(board: Cell[][], column: number, seat: Seat): number | null {
  if (!Number.isInteger(column) || column < 0 || column >= COLUMNS) return null;
  for (let row = ROWS - 1; row >= 0; row--) {
    if (board[row]![column] === 0) {
      board[row]![column] = seat;
      return row;
    }
  }
  return null;
}

const DIRECTIONS: Array<[number, number]> = [
  [0, 1], // horizontal
  [1, 0], // vertical
  [1, 1], // diagonal ↘
  [1, -1], // diagonal ↙
];

/** The line of four or more through (row, column) of that cell's colour, or null. */
export function winningLine(board: Cell[][], row: number, column: number): Array<[number, number]> | null {
  const seat = board[row]?.[column];
  if (!seat) return null;
  for (const [dr, dc] of DIRECTIONS) {
    const line: Array<[number, number]> = [[row, column]];
    for (const sign of [1, -1]) {
      let r = row + dr * sign;
      let c = column + dc * sign;
      while (board[r]?.[c] === seat) {
        line.push([r, c]);
        r += dr * sign;
        c += dc * sign;
      }
    }
    if (line.length >= 4) return line.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  }
  return null;
}

export function boardFull(board: Cell[][]): boolean {
  return board[0]!.every((cell) => cell !== 0);
}
