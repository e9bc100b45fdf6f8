import type { Logger } from '../logger.js';
import { OutFrame } from '../out-frame.js';
import { secretHash, secretHashMatches } from '../session-secret.js';
import { userIdentity } from '../user-identity.js';
import type { ServerSession } from '../session.js';
import { type ClusterLink, type NodeAnswer, type NodeCall, NodeNotListening, type StoredSession } from './cluster-link.js';
import { SessionMirror } from './session-mirror.js';

/** How long a node waits for another to give up a session before taking it anyway, ms. */
const RELEASE_TIMEOUT = 3_000;

/** What this node does when another asks it to. */
export interface NodeCallHandlers {
  /** Ends the local session `sid` as moved; resolves once its record holds everything it did. */
  release(sid: string): Promise<void>;
  /** Ends the local session `sid`: its client said goodbye to another node. */
  bye(sid: string): void;
  /** The HTTP calls (`send`, `poll`), answered by the HTTP endpoints. */
  http?(call: Extract<NodeCall, { kind: 'send' | 'poll' }>): Promise<NodeAnswer>;
  /** A dead node's presence entries in `channels` must go. */
  purgePresence(node: string, channels: string[]): Promise<void>;
  /** Another node holds the record of the local session `sid` now: it ends here without writing. */
  lost(sid: string): void;
  /** This node was taken for dead: every local session ends here without writing its record. */
  fenced(): void;
}

/**
 * Sessions on a cluster: every session has a record in the shared store, so when its client comes
 * back on another node, that node takes it over (after asking the old node to let go, if it lives)
 * and the client goes on with its sequence numbers, its unacknowledged frames and its answers.
 */
export class ClusterSessions {
  constructor(
    readonly link: ClusterLink,
    private readonly logger: Logger,
    readonly handlers: NodeCallHandlers,
  ) {}

  get nodeId(): string {
    return this.link.nodeId;
  }

  start(sessions: () => Iterable<string>, sessionTtl: number): Promise<void> {
    return this.link.start(
      {
        call: async (call) => {
          if (call.kind === 'release') {
            await this.handlers.release(call.sid);
            return { status: 200 };
          }
          if (call.kind === 'bye') {
            this.handlers.bye(call.sid);
            return { status: 204 };
          }
          return this.handlers.http ? this.handlers.http(call) : { status: 404, body: 'no HTTP transports on this node' };
        },
        sessions,
        nodeDied: async (node) => {
          this.logger.info('cluster node stopped sending heartbeats; removing its presence entries', { node });
          await this.handlers.purgePresence(node, await this.link.takePresence(node));
        },
        fenced: () => {
          this.logger.warn(
            'this node was taken for dead by the cluster (its heartbeats lapsed); its sessions end here and resume wherever their clients reconnect',
            {
              node: this.link.nodeId,
            },
          );
          this.handlers.fenced();
        },
      },
      sessionTtl,
    );
  }

  /**
   * Before each client frame: whether this node may still handle frames of its sessions. Only when its
   * heartbeat has lapsed does it wait for a new one; if that finds it taken for dead, its sessions have
   * ended (false).
   */
  mayHandle(): boolean | Promise<boolean> {
    return this.link.lapsed() ? this.link.confirmAlive() : true;
  }

  /** A new session on this node: its record is written before its client hears of it. */
  async opened(session: ServerSession): Promise<void> {
    session.mirrorTo(this.mirror(session.id));
    await this.save(session, { secretHash: secretHash(session.secret), user: userIdentity(session.user), handled: 0, frames: [] });
  }

  /**
   * The record of a session this node doesn't hold, if `secret` is its secret; 'other_user' if the
   * session belongs to another user than `user` (a `userIdentity`): it is left where it is. If another
   * node holds it and lives, that node is asked to let it go first, so the record read after is final.
   */
  async find(sid: string, secret: string, user: string): Promise<StoredSession | 'other_user' | null> {
    const record = await this.link.loadSession(sid);
    // Checked without a record too (against a stand-in): an unknown session costs what a wrong secret does.
    if (!secretHashMatches(record?.secretHash, secret) || !record) return null;
    if (record.user !== user) return 'other_user';
    if (record.node === this.link.nodeId || !(await this.link.isAlive(record.node))) return record;
    try {
      await this.link.call(record.node, { kind: 'release', sid }, RELEASE_TIMEOUT);
    } catch (error) {
      // A node that lives may still handle frames of the session: it is declared dead before its
      // session is taken over unasked, so it handles nothing more (see ClusterLink.declareDead).
      if (!(await this.link.declareDead(record.node, error instanceof NodeNotListening))) {
        throw new Error(`node ${record.node} holds the session, goes on heartbeating, and did not release it: ${String(error)}`);
      }
      this.logger.warn('the node holding a session did not release it; declared it dead and taking the session over from its record', {
        session: sid,
        node: record.node,
        error: String(error),
      });
    }
    return this.link.loadSession(sid);
  }

  /**
   * A goodbye for a session this node doesn't hold: if `secret` is its secret, the node holding it ends
   * it; a dead node's session just loses its record (its presence is cleaned up with the node). An
   * unknown session costs the same check as a wrong secret.
   */
  async goodbye(sid: string, secret: string): Promise<void> {
    const record = await this.link.loadSession(sid);
    if (!secretHashMatches(record?.secretHash, secret) || !record) return;
    if (record.node !== this.link.nodeId && (await this.link.isAlive(record.node)))
      await this.link.call(record.node, { kind: 'bye', sid }, RELEASE_TIMEOUT);
    else await this.link.deleteSession(sid);
  }

  /**
   * Takes over a session from its record: the kept frames the client has not received (after `rx`)
   * go out again, renumbered from 1 as the client's frame count restarts, and the record now says
   * this node holds the session.
   */
  async adopt(session: ServerSession, record: StoredSession, rx: number): Promise<void> {
    session.continueAfter(record.handled);
    const frames = record.frames.filter(({ n }) => n > rx);
    for (const { text } of frames) session.enqueue(new OutFrame(text, true));
    const renumbered = frames.map(({ text }, i) => ({ n: i + 1, text }));
    session.mirrorTo(
      this.mirror(
        session.id,
        renumbered.map(({ n }) => n),
      ),
    );
    await this.save(
      session,
      { secretHash: record.secretHash, user: record.user, handled: record.handled, frames: renumbered },
      record.node,
    );
  }

  private mirror(sid: string, kept?: number[]): SessionMirror {
    return new SessionMirror(this.link, sid, this.logger, () => this.handlers.lost(sid), kept);
  }

  /**
   * Writes the record (taking it over from `from`); if the store fails, the session still works here,
   * it just can't move. If yet another node took the record meanwhile, the session's next record
   * write ends it here.
   */
  private async save(session: ServerSession, record: Omit<StoredSession, 'node'>, from?: string): Promise<void> {
    try {
      if (!(await this.link.saveSession(session.id, record, from))) {
        this.logger.warn('another node took the session over meanwhile', { session: session.id });
      }
    } catch (error) {
      this.logger.warn('session record write failed; this session cannot move to another node', {
        session: session.id,
        error: String(error),
      });
    }
  }

  /** The session ended here; unless it moved on, its record goes. */
  ended(session: ServerSession, moved: boolean): void {
    if (moved || !session.mirror) return;
    const mirror = session.mirror;
    void mirror
      .settled()
      .then(() => this.link.deleteSession(session.id))
      .catch((error: unknown) =>
        this.logger.warn('session record delete failed (it expires on its own)', { session: session.id, error: String(error) }),
      );
  }
}
