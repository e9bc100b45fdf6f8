/** Where the live odds board goes once synced state channels exist (issue 4). */
export function OddsCard() {
  return (
    <section className="card area-odds" data-testid="odds">
      <header>
        <h2>Live odds board</h2>
        <span className="badge" data-tone="warn">coming next</span>
      </header>
      <div className="placeholder">
        <strong>Needs synced state channels (issue 4).</strong>
        20 markets ticking as diffs on one synced state channel; it will keep going through drops and say when it had to reset.
      </div>
    </section>
  );
}
