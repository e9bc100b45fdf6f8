import { useChannel, useClientEvent, useConnection, usePushwire } from 'pushwire/react';
import { useEffect, useState } from 'react';
import { GAME_CHANNEL, type GameSnapshot, type GameState, type Seat } from '../shared/demo-messages.js';
import type { ChannelTracker } from '../shared/channel-tracker.js';
import { COLOUR, gameStatus, newerGame } from '../shared/game-text.js';
import { useRequestError } from './use-error.js';

const ROWS = [0, 1, 2, 3, 4, 5];
const COLUMNS = [0, 1, 2, 3, 4, 5, 6];
const SEATS: Seat[] = [1, 2];

/** Connect Four: the server checks every move and publishes the board; this card only shows it. */
export function GameCard({ name, tracker }: { name: string; tracker: ChannelTracker }) {
  const client = usePushwire();
  const [state, setState] = useState<GameState | null>(null);
  const [seat, setSeat] = useState<Seat | null>(null);
  const [error, run] = useRequestError();
  const request = (body: object): void => void run(client.send({ app: 'game', ...body }));

  useEffect(() => tracker.subscribing(GAME_CHANNEL), [tracker]);
  useChannel<GameState>(
    GAME_CHANNEL,
    (next, info) => {
      tracker.delivered(info);
      setState((current) => newerGame(current, next));
    },
    {
      onSubscribed(info) {
        tracker.subscribed(info);
        // First subscription or a gap that could not be replayed: ask for the whole game.
        if (info.status !== 'recovered') request({ type: 'sync' });
      },
    },
  );
  useClientEvent('message', (data) => {
    const snapshot = data as Partial<GameSnapshot>;
    if (snapshot?.app !== 'game' || !snapshot.state) return;
    setSeat(snapshot.seat ?? null);
    setState((current) => newerGame(current, snapshot.state!));
  });
  // A new session (or one that moved to another node) has no seat on the server; ask where we stand.
  const { newSessions, moves } = useConnection();
  useEffect(() => {
    if (newSessions + moves > 0) request({ type: 'sync' });
    // Only when the session is new or moved; `request` is a fresh closure each render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [newSessions, moves]);

  const myTurn = state?.phase === 'playing' && seat === state.turn;
  const winning = new Set(state?.line.map(([r, c]) => `${r},${c}`));
  const free = state?.players.includes(null) ?? false;
  const finished = state?.phase === 'won' || state?.phase === 'draw';

  return (
    <section className="card area-game" data-testid="game">
      <header>
        <h2>Connect Four</h2>
        <span className="badge" data-tone={seat ? 'good' : ''} data-testid="game-role">
          {seat ? `playing ${COLOUR[seat]}` : 'spectator'}
        </span>
        <span className="sub">2 players · spectators welcome</span>
      </header>
      <p className="game-status" data-testid="game-status">
        {state ? gameStatus(state, seat) : 'Loading the table…'}
      </p>
      {state && (
        <>
          <div className="players">
            {SEATS.map((s) => (
              <div key={s} className={`player${state.phase === 'playing' && state.turn === s ? ' turn' : ''}`} data-testid={`player-${s}`}>
                <span className={`disc-icon p${s}`} />
                <span className="name">{state.players[s - 1] ?? `${COLOUR[s]}: free seat`}</span>
              </div>
            ))}
          </div>
          <div className="board" role="grid" aria-label="Connect Four board" data-testid="board">
            {COLUMNS.map((column) => (
              <button
                key={column}
                type="button"
                className="column"
                data-column={column}
                aria-label={`Drop a disc in column ${column + 1}`}
                disabled={!myTurn || state.board[0]![column] !== 0}
                onClick={() => request({ type: 'move', column })}
              >
                {ROWS.map((row) => {
                  const cell = state.board[row]![column]!;
                  const last = state.lastMove?.[0] === row && state.lastMove[1] === column;
                  return (
                    <span
                      key={row}
                      className={`cell${cell ? ` p${cell}` : ''}${winning.has(`${row},${column}`) ? ' win' : ''}${last ? ' last' : ''}`}
                    />
                  );
                })}
              </button>
            ))}
          </div>
          <div className="game-actions">
            {!seat && free && (
              <button
                type="button"
                data-testid="take-seat"
                onClick={() =>
                  name ? request({ type: 'sit', name }) : void run(Promise.reject(new Error('Pick a name in the chat first.')))
                }
              >
                Take a seat
              </button>
            )}
            {seat && finished && (
              <button type="button" data-testid="rematch" onClick={() => request({ type: 'rematch' })}>
                Rematch
              </button>
            )}
            {seat && (
              <button type="button" className="secondary" onClick={() => request({ type: 'leave' })}>
                Leave seat
              </button>
            )}
            {!seat && !free && <span className="hint">Both seats are taken: you are watching.</span>}
          </div>
        </>
      )}
      <p className="error" role="alert" data-testid="game-error">
        {error}
      </p>
    </section>
  );
}
