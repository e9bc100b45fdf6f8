import type { Logger } from '../logger.js';
import type { OutFrame } from '../out-frame.js';
import type { ClusterLink } from './cluster-link.js';

/**
 * Channel messages and subscription confirmations are not kept in a session's record: a client that
 * moves to another node subscribes again from its positions and gets those replayed from history.
 */
function regeneratedOnMove(frame: OutFrame): boolean {
  return frame.text.startsWith('{"t":"m",') || frame.text.startsWith('{"t":"subd",');
}

/**
 * Keeps one session's record in the cluster store up to date, so another node can take the session
 * over: the client sequence number handled, and the unacknowledged frames a move must carry. Writes
 * go out in order on one Redis connection, so when the latest has settled, all earlier ones have.
 */
export class SessionMirror {
  private last: Promise<boolean> = Promise.resolve(true);

  constructor(
    private readonly link: ClusterLink,
    private readonly id: string,
    private readonly logger: Logger,
    /** Another node holds the record now (a write was refused): the session must end here. */
    private readonly lost: () => void,
    /** Numbers of the frames in the stored list, oldest first. */
    private kept: number[] = [],
  ) {}

  /** Reliable frame number `n` went out. */
  sent(n: number, frame: OutFrame): void {
    if (regeneratedOnMove(frame)) return;
    this.kept.push(n);
    this.track(this.link.keepFrame(this.id, n, frame.text));
  }

  /** Client frame `seq` was handled (its answer or error, if any, was sent before). */
  handled(seq: number): void {
    this.track(this.link.recordHandled(this.id, seq));
  }

  /** The client received every frame up to `n`. */
  acked(n: number): void {
    let count = 0;
    while (count < this.kept.length && this.kept[count]! <= n) count++;
    if (count === 0) return;
    this.kept.splice(0, count);
    this.track(this.link.dropFrames(this.id, count));
  }

  /**
   * Resolves once every write made so far is in the store (or failed, logged): true unless one was
   * refused because another node holds the record.
   */
  settled(): Promise<boolean> {
    return this.last;
  }

  private track(write: Promise<boolean>): void {
    const previous = this.last;
    this.last = write.then(
      async (owned) => {
        if (!owned) this.lost();
        return owned && (await previous);
      },
      (error: unknown) => {
        this.logger.warn('session record write failed; a move of this session to another node may lose it', {
          session: this.id,
          error: String(error),
        });
        return previous;
      },
    );
  }
}
