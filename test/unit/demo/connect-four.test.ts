import { describe, expect, it } from 'vitest';
import { boardFull, COLUMNS, dropDisc, emptyBoard, ROWS, winningLine } from '../../../demo/server/connect-four.js';
import type { Cell } from '../../../demo/shared/demo-messages.js';

function play(moves: Array<[number, 1 | 2]>): { board: Cell[][]; last: [number, number] } {
  const board = emptyBoard();
  let last: [number, number] = [0, 0];
  for (const [column, seat] of moves) last = [dropDisc(board, column, seat)!, column];
  return { board, last };
}

describe('Connect Four rules', () => {
  it('stacks discs from the bottom and refuses a full or missing column', () => {
    const board = emptyBoard();
    expect(dropDisc(board, 3, 1)).toBe(ROWS - 1);
    expect(dropDisc(board, 3, 2)).toBe(ROWS - 2);
    for (let i = 2; i < ROWS; i++) dropDisc(board, 3, 1);
    expect(dropDisc(board, 3, 2)).toBeNull();
    expect(dropDisc(board, COLUMNS, 1)).toBeNull();
    expect(dropDisc(board, -1, 1)).toBeNull();
    expect(dropDisc(board, 1.5, 1)).toBeNull();
  });

  it('finds four in a row horizontally, vertically and on both diagonals', () => {
    const horizontal = play([
      [0, 1],
      [1, 1],
      [2, 1],
      [3, 1],
    ]);
    expect(winningLine(horizontal.board, ...horizontal.last)).toEqual([
      [5, 0],
      [5, 1],
      [5, 2],
      [5, 3],
    ]);
    const vertical = play([
      [6, 2],
      [6, 2],
      [6, 2],
      [6, 2],
    ]);
    expect(winningLine(vertical.board, ...vertical.last)).toHaveLength(4);
    // ↗ from (5,0): fill columns 1..3 underneath with the other colour first.
    const rising = play([
      [1, 2],
      [2, 2],
      [2, 2],
      [3, 2],
      [3, 2],
      [3, 2],
      [0, 1],
      [1, 1],
      [2, 1],
      [3, 1],
    ]);
    expect(winningLine(rising.board, ...rising.last)).toEqual([
      [2, 3],
      [3, 2],
      [4, 1],
      [5, 0],
    ]);
    const falling = play([
      [5, 2],
      [4, 2],
      [4, 2],
      [3, 2],
      [3, 2],
      [3, 2],
      [6, 1],
      [5, 1],
      [4, 1],
      [3, 1],
    ]);
    expect(winningLine(falling.board, ...falling.last)).toEqual([
      [2, 3],
      [3, 4],
      [4, 5],
      [5, 6],
    ]);
  });

  it('does not count three, or four broken by the other colour', () => {
    const three = play([
      [0, 1],
      [1, 1],
      [2, 1],
    ]);
    expect(winningLine(three.board, ...three.last)).toBeNull();
    const broken = play([
      [0, 1],
      [1, 1],
      [2, 2],
      [3, 1],
      [4, 1],
    ]);
    expect(winningLine(broken.board, ...broken.last)).toBeNull();
  });

  it('knows when the board is full', () => {
    const board = emptyBoard();
    expect(boardFull(board)).toBe(false);
    for (let c = 0; c < COLUMNS; c++) for (let r = 0; r < ROWS; r++) dropDisc(board, c, ((r + c) % 2) + 1 === 1 ? 1 : 2);
    expect(boardFull(board)).toBe(true);
  });
});
