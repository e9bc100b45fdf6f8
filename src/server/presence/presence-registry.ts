import { escapePointerToken, jsonEqual, type PatchOperation } from '../../protocol/json-patch.js';
import { presenceChannel, type PresenceDocument } from '../../protocol/presence.js';
import { monotonicNow } from '../clock.js';
import { TokenBucket } from '../limits.js';
import type { Logger } from '../logger.js';
import type { Session } from '../options.js';
import { randomToken } from '../random.js';
import type { StatePosition, StateStore } from '../state/state-store.js';
import { userIdOf } from '../user-id.js';
import { toJson } from '../state/state-store.js';

export interface PresenceOptions {
  /**
   * The member key of a session: several sessions (tabs, devices) with one key are one member with
   * several connections. Default: the `user` that `authorize` returned if it is a string or number,
   * or its `id` field if that is; otherwise each session is a member of its own.
   */
  key?(session: Session): string;
  /** Largest metadata of one connection, in bytes of JSON. Default 2,048. */
  maxMetaBytes?: number;
  /** Most members of one channel's presence; a join beyond it is refused with `limit_exceeded`. Default 10,000. */
  maxMembers?: number;
  /**
   * Joins and metadata updates one session may make per second, sustained (each is sent to everyone
   * watching the channel); beyond it they are refused with `rate_limited`. Default 10.
   */
  updatesPerSecond?: number;
  /** Joins and updates one session may make in a burst above the sustained rate. Default 20. */
  updateBurst?: number;
}

/** A join the registry refuses; `code` is the error code the client gets. */
export class PresenceRefusal extends Error {
  constructor(
    readonly code: 'too_large' | 'limit_exceeded' | 'rate_limited',
    message: string,
  ) {
    super(message);
  }
}

function defaultKey(session: Session, connection: string): string {
  const user = userIdOf(session.user);
  return user === undefined ? `anon:${connection}` : `user:${user}`;
}

interface Membership {
  key: string;
  connection: string;
  channels: Set<string>;
  /** Joins and updates this session may still make (updatesPerSecond, updateBurst). */
  updates: TokenBucket;
}

/**
 * Presence of every channel, kept as the state document of the channel's companion `$presence:`
 * channel, so it is sequenced, replayed and reset like any synced state and lives behind the broker.
 * A session is one connection of its member; it leaves when it says so or when the session ends.
 */
export class PresenceRegistry {
  private readonly members = new Map<Session, Membership>();
  private readonly leaving = new Set<Promise<void>>();
  private readonly maxMetaBytes: number;
  private readonly maxMembers: number;
  private readonly updatesPerSecond: number;
  private readonly updateBurst: number;

  constructor(
    private readonly state: StateStore,
    private readonly logger: Logger,
    private readonly options: PresenceOptions = {},
    /**
     * On a cluster, this node: its connection ids start with its id, and it notes each channel it has
     * entries in, so that when it dies another node can remove them (`purgeNode`).
     */
    private readonly node?: { readonly nodeId: string; trackPresence(channel: string): Promise<void> },
  ) {
    this.maxMetaBytes = options.maxMetaBytes ?? 2048;
    this.maxMembers = options.maxMembers ?? 10_000;
    this.updatesPerSecond = options.updatesPerSecond ?? 10;
    this.updateBurst = options.updateBurst ?? 20;
  }

  /** Joins `channel`'s presence, or updates this connection's metadata if it is already there. */
  async join(session: Session & { readonly ended: boolean }, channel: string, meta: unknown): Promise<StatePosition> {
    const value = toJson(meta);
    const bytes = new TextEncoder().encode(JSON.stringify(value)).length;
    if (bytes > this.maxMetaBytes)
      throw new PresenceRefusal('too_large', `presence metadata of ${bytes} bytes exceeds ${this.maxMetaBytes}`);
    const membership = this.membership(session);
    if (!membership.updates.take(monotonicNow())) {
      throw new PresenceRefusal(
        'rate_limited',
        `at most ${this.updatesPerSecond} presence updates per second (bursts of ${this.updateBurst})`,
      );
    }
    const joining = !membership.channels.has(channel);
    membership.channels.add(channel);
    const { key, connection } = membership;
    if (joining) await this.node?.trackPresence(channel);
    const position = await this.state
      .update(presenceChannel(channel), (current) => {
        const doc = (current ?? {}) as PresenceDocument;
        const member = Object.prototype.hasOwnProperty.call(doc, key) ? doc[key] : undefined;
        const keyPath = `/${escapePointerToken(key)}`;
        if (!member) {
          if (Object.keys(doc).length >= this.maxMembers) {
            throw new PresenceRefusal('limit_exceeded', `presence of "${channel}" is full (${this.maxMembers} members)`);
          }
          if (current === null) return [{ op: 'add', path: '', value: { [key]: { [connection]: value } } }];
          return [{ op: 'add', path: keyPath, value: { [connection]: value } }];
        }
        if (Object.prototype.hasOwnProperty.call(member, connection) && jsonEqual(member[connection], value)) return null;
        return [{ op: 'add', path: `${keyPath}/${escapePointerToken(connection)}`, value }];
      })
      .catch((error: unknown) => {
        if (joining) this.forget(session, membership, channel);
        throw error;
      });
    // The session may have ended while the join was on its way: don't leave a ghost behind.
    if (session.ended) await this.remove(channel, key, connection);
    return position;
  }

  /** Removes this session's connection from `channel`'s presence (the member too, if it was its last). */
  async leave(session: Session, channel: string): Promise<void> {
    const membership = this.members.get(session);
    if (!membership || !membership.channels.has(channel)) return;
    this.forget(session, membership, channel);
    await this.remove(channel, membership.key, membership.connection);
  }

  private async remove(channel: string, key: string, connection: string): Promise<void> {
    await this.state.update(presenceChannel(channel), (current) => {
      const doc = (current ?? {}) as PresenceDocument;
      const member = Object.prototype.hasOwnProperty.call(doc, key) ? doc[key] : undefined;
      if (!member || !Object.prototype.hasOwnProperty.call(member, connection)) return null;
      const keyPath = `/${escapePointerToken(key)}`;
      const ops: PatchOperation[] =
        Object.keys(member).length > 1
          ? [{ op: 'remove', path: `${keyPath}/${escapePointerToken(connection)}` }]
          : Object.keys(doc).length > 1
            ? [{ op: 'remove', path: keyPath }]
            : [{ op: 'replace', path: '', value: null }]; // the last one out: no state left to keep
      return ops;
    });
  }

  /** Removes every connection of a dead cluster node from the presence of `channels`. */
  async purgeNode(node: string, channels: string[]): Promise<void> {
    for (const channel of channels) {
      try {
        const doc = (await this.state.read<PresenceDocument>(presenceChannel(channel))).state ?? {};
        for (const [key, member] of Object.entries(doc)) {
          for (const connection of Object.keys(member)) if (connection.startsWith(`${node}.`)) await this.remove(channel, key, connection);
        }
      } catch (error) {
        this.logger.error('removing a dead node’s presence failed', { node, channel, error: String(error) });
      }
    }
  }

  /** The session ended: it leaves every presence it joined. Never throws (failures are logged). */
  leaveAll(session: Session): Promise<void> {
    const membership = this.members.get(session);
    if (!membership) return Promise.resolve();
    const done = this.leaveEach(session, membership);
    this.leaving.add(done);
    void done.finally(() => this.leaving.delete(done));
    return done;
  }

  /** Resolves when every leave started by `leaveAll` has finished (for a clean shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.leaving]);
  }

  private async leaveEach(session: Session, membership: Membership): Promise<void> {
    await Promise.all(
      [...membership.channels].map((channel) =>
        this.leave(session, channel).catch((error: unknown) => {
          this.logger.error('presence leave failed', { channel, error: String(error) });
        }),
      ),
    );
  }

  private forget(session: Session, membership: Membership, channel: string): void {
    membership.channels.delete(channel);
    if (membership.channels.size === 0 && this.members.get(session) === membership) this.members.delete(session);
  }

  private membership(session: Session): Membership {
    let membership = this.members.get(session);
    if (!membership) {
      const connection = this.node ? `${this.node.nodeId}.${randomToken(9)}` : randomToken(9);
      const updates = new TokenBucket(this.updatesPerSecond, this.updateBurst, monotonicNow());
      membership = { key: this.options.key?.(session) ?? defaultKey(session, connection), connection, channels: new Set(), updates };
      this.members.set(session, membership);
    }
    return membership;
  }
}
