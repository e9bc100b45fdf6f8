import { randomBytes } from 'node:crypto';
import type { Session } from 'pushwire/server';
import type { Publish } from './chat-room.js';
import { boardFull, COLUMNS, dropDisc, emptyBoard, winningLine } from './connect-four.js';
import { GAME_CHANNEL, type GameSnapshot, type GameState, type Seat } from '../shared/demo-messages.js';
import { DemoError } from './request-parser.js';

/**
 * One table of Connect Four: two seats, everyone else watches. The server owns the rules: a move is
 * checked here and the new state is published on the game channel, so both players and every
 * spectator see it at once.
 */
export class GameRoom {
  private readonly seats: [string | null, string | null] = [null, null];
  private state: GameState;
  /** Who starts the next game: alternates, so a rematch is fair. */
  private starter: Seat = 1;

  constructor(private readonly publish: Publish) {
    this.state = {
      run: randomBytes(6).toString('hex'),
      version: 0,
      board: emptyBoard(),
      players: [null, null],
      turn: 1,
      phase: 'waiting',
      winner: null,
      line: [],
      lastMove: null,
    };
  }

  /** The game as `session` sees it (its seat, if any); sent to a page that asks, e.g. after a reset. */
  snapshot(session: Session): GameSnapshot {
    return { app: 'game', state: this.state, seat: this.seatOf(session) };
  }

  async sit(session: Session, name: string): Promise<void> {
    if (this.seatOf(session) !== null) return;
    const free = this.seats.indexOf(null);
    if (free === -1) throw new DemoError('both seats are taken: watch, or wait for a seat');
    this.seats[free] = session.id;
    this.state.players[free] = name;
    if (this.seats[0] && this.seats[1]) this.newGame();
    session.send(this.snapshotAfterChange(session));
    await this.changed();
  }

  async move(session: Session, column: number): Promise<void> {
    const seat = this.seatOf(session);
    if (seat === null) throw new DemoError('spectators cannot move: take a seat first');
    if (this.state.phase !== 'playing') throw new DemoError('the game is not running');
    if (this.state.turn !== seat) throw new DemoError('it is not your turn');
    if (!Number.isInteger(column) || column < 0 || column >= COLUMNS) throw new DemoError(`columns are 0 to ${COLUMNS - 1}`);
    const row = dropDisc(this.state.board, column, seat);
    if (row === null) throw new DemoError('that column is full');
    this.state.lastMove = [row, column];
    const line = winningLine(this.state.board, row, column);
    if (line) {
      this.state.phase = 'won';
      this.state.winner = seat;
      this.state.line = line;
    } else if (boardFull(this.state.board)) {
      this.state.phase = 'draw';
    } else {
      this.state.turn = seat === 1 ? 2 : 1;
    }
    await this.changed();
  }

  async rematch(session: Session): Promise<void> {
    if (this.seatOf(session) === null) throw new DemoError('only the players can start a rematch');
    if (this.state.phase !== 'won' && this.state.phase !== 'draw') throw new DemoError('the game is still running');
    this.starter = this.starter === 1 ? 2 : 1;
    this.newGame();
    await this.changed();
  }

  /** A player stands up (or their session ended): the board clears and the seat is free. */
  async leave(session: Session): Promise<void> {
    const seat = this.seatOf(session);
    if (seat === null) return;
    this.seats[seat - 1] = null;
    this.state.players[seat - 1] = null;
    this.state.board = emptyBoard();
    this.state.phase = 'waiting';
    this.state.winner = null;
    this.state.line = [];
    this.state.lastMove = null;
    session.send(this.snapshotAfterChange(session));
    await this.changed();
  }

  private newGame(): void {
    this.state.board = emptyBoard();
    this.state.phase = 'playing';
    this.state.turn = this.starter;
    this.state.winner = null;
    this.state.line = [];
    this.state.lastMove = null;
  }

  /** The snapshot for the session whose seat just changed, with the version the coming publish will carry. */
  private snapshotAfterChange(session: Session): GameSnapshot {
    return { app: 'game', state: { ...this.state, version: this.state.version + 1 }, seat: this.seatOf(session) };
  }

  private seatOf(session: Session): Seat | null {
    const index = this.seats.indexOf(session.id);
    return index === -1 ? null : ((index + 1) as Seat);
  }

  private async changed(): Promise<void> {
    this.state.version++;
    // Published as a copy: later moves must not change what was already handed to the broker.
    await this.publish(GAME_CHANNEL, structuredClone(this.state));
  }
}
