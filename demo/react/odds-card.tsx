import { useSyncedState } from 'pushwire/react';
import { useEffect } from 'react';
import { ODDS_CHANNEL, type OddsBoard } from '../shared/demo-messages.js';
import type { ChannelTracker } from '../shared/channel-tracker.js';
import { arrow, matchName, OUTCOMES, price, trackOdds } from '../shared/odds-text.js';

/** The live odds board: a synced state channel (snapshot, then diffs); says when it had to reset. */
export function OddsCard({ tracker }: { tracker: ChannelTracker }) {
  const board = useSyncedState<OddsBoard>(ODDS_CHANNEL);
  const { change } = board;
  useEffect(() => {
    if (change) trackOdds(tracker, change);
  }, [change, tracker]);
  const status = !board.ready ? 'loading' : change?.type === 'reset' ? 'reset' : 'live';

  return (
    <section className="card area-odds" data-testid="odds">
      <header>
        <h2>Live odds board</h2>
        <span
          className="badge"
          data-status={status === 'live' ? 'recovered' : status === 'loading' ? 'subscribing' : 'reset'}
          data-testid="odds-status"
        >
          {status}
        </span>
        <span className="sub" data-testid="odds-seq">
          {change ? `#${change.seq}` : ''}
        </span>
      </header>
      <p className="hint">20 markets in one synced state channel: a snapshot, then each price move as a JSON Patch diff.</p>
      {board.resets > 0 && (
        <p className="reset-note" data-testid="odds-reset">
          Reset {board.resets}× — updates were lost, so the board reloaded a fresh snapshot.
        </p>
      )}
      {board.error && <p className="reset-note">{board.error.message}</p>}
      <table className="odds" data-testid="odds-table">
        <thead>
          <tr>
            <th>Match</th>
            {OUTCOMES.map((outcome) => (
              <th key={outcome} className="num">
                {outcome}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {(board.state?.markets ?? []).map((market) => (
            <tr key={market.id} data-market={market.id}>
              <td className="match">{matchName(market)}</td>
              {market.odds.map((odds, i) => (
                <td key={i} className="num price" data-move={market.moves[i]}>
                  {price(odds)}
                  <span className="arrow">{arrow(market.moves[i]!)}</span>
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
