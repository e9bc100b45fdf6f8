import { GAME_CHANNEL, type GameSnapshot, type GameState, type Seat } from '../shared/demo-messages.js';
import type { DemoClient } from '../shared/demo-client.js';
import { COLOUR, gameStatus, newerGame } from '../shared/game-text.js';
import type { Identity } from '../shared/identity.js';
import { errorText, fill, h } from './dom.js';

const ROWS = 6;
const COLUMNS = 7;

/** Connect Four: the server checks every move and publishes the board; this card only shows it. */
export function gameCard({ client, tracker }: DemoClient, identity: Identity): HTMLElement {
  let state: GameState | null = null;
  let seat: Seat | null = null;
  const status = h('p', { class: 'game-status', 'data-testid': 'game-status' }, 'Loading the table…');
  const players = h('div', { class: 'players' });
  const board = h('div', { class: 'board', role: 'grid', 'aria-label': 'Connect Four board', 'data-testid': 'board' });
  const actions = h('div', { class: 'game-actions' });
  const error = h('p', { class: 'error', role: 'alert', 'data-testid': 'game-error' });
  const role = h('span', { class: 'badge', 'data-testid': 'game-role' }, 'spectator');

  const request = (body: object): void => {
    error.textContent = '';
    client.send({ app: 'game', ...body }).catch((cause: unknown) => (error.textContent = errorText(cause)));
  };

  const render = (): void => {
    fill(role, seat ? `playing ${COLOUR[seat]}` : 'spectator');
    role.dataset.tone = seat ? 'good' : '';
    if (!state) return;
    const current = state;
    status.textContent = gameStatus(current, seat);
    fill(
      players,
      ...([1, 2] as Seat[]).map((s) =>
        h(
          'div',
          { class: `player${current.phase === 'playing' && current.turn === s ? ' turn' : ''}`, 'data-testid': `player-${s}` },
          h('span', { class: `disc-icon p${s}` }),
          h('span', { class: 'name' }, current.players[s - 1] ?? `${COLOUR[s]}: free seat`),
        ),
      ),
    );
    const myTurn = current.phase === 'playing' && seat === current.turn;
    const winning = new Set(current.line.map(([r, c]) => `${r},${c}`));
    fill(
      board,
      ...Array.from({ length: COLUMNS }, (_, column) =>
        h(
          'button',
          {
            class: 'column',
            type: 'button',
            disabled: !myTurn || current.board[0]![column] !== 0,
            'aria-label': `Drop a disc in column ${column + 1}`,
            'data-column': column,
            onclick: () => request({ type: 'move', column }),
          },
          ...Array.from({ length: ROWS }, (_, row) => {
            const cell = current.board[row]![column]!;
            const last = current.lastMove?.[0] === row && current.lastMove[1] === column;
            return h('span', {
              class: `cell${cell ? ` p${cell}` : ''}${winning.has(`${row},${column}`) ? ' win' : ''}${last ? ' last' : ''}`,
            });
          }),
        ),
      ),
    );
    const free = current.players.includes(null);
    fill(
      actions,
      !seat &&
        free &&
        h(
          'button',
          {
            type: 'button',
            'data-testid': 'take-seat',
            onclick: () => {
              if (!identity.name) error.textContent = 'Pick a name in the chat first.';
              else request({ type: 'sit', name: identity.name });
            },
          },
          'Take a seat',
        ),
      seat &&
        (current.phase === 'won' || current.phase === 'draw') &&
        h('button', { type: 'button', 'data-testid': 'rematch', onclick: () => request({ type: 'rematch' }) }, 'Rematch'),
      seat && h('button', { type: 'button', class: 'secondary', onclick: () => request({ type: 'leave' }) }, 'Leave seat'),
      !seat && !free && h('span', { class: 'hint' }, 'Both seats are taken: you are watching.'),
    );
  };

  const accept = (next: GameState): void => {
    state = newerGame(state, next);
    render();
  };

  tracker.subscribing(GAME_CHANNEL);
  client.subscribe<GameState>(GAME_CHANNEL, {
    onMessage(next, info) {
      tracker.delivered(info);
      accept(next);
    },
    onSubscribed(info) {
      tracker.subscribed(info);
      // First subscription or a gap that could not be replayed: ask for the whole game.
      if (info.status !== 'recovered') request({ type: 'sync' });
    },
  });
  client.on('message', (data) => {
    const snapshot = data as Partial<GameSnapshot>;
    if (snapshot?.app !== 'game' || !snapshot.state) return;
    seat = snapshot.seat ?? null;
    accept(snapshot.state);
  });
  // A new session (or one that moved to another node) has no seat on the server; ask where we stand.
  let opens = 0;
  client.on('open', ({ resumed, moved }) => {
    if (++opens > 1 && (!resumed || moved)) request({ type: 'sync' });
  });
  render();

  return h(
    'section',
    { class: 'card area-game', 'data-testid': 'game' },
    h('header', {}, h('h2', {}, 'Connect Four'), role, h('span', { class: 'sub' }, '2 players · spectators welcome')),
    status,
    players,
    board,
    actions,
    error,
  );
}
