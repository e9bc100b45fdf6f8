import type { Counters } from './metrics.js';
import type { FrameLedger } from './outbound-buffer.js';
import type { OutFrame } from './out-frame.js';
import { atTickEnd } from './tick-end.js';

/** The memory budget, in bytes: per session, per client address, per process (docs/OPERATIONS.md, "Memory budget"). */
export interface MemoryBudgetOptions {
  /** Client frames received and not yet handled, per session. Default 1 MiB. */
  inboxBytes?: number;
  /** What the sessions of one client address hold together. Default 256 MiB. */
  addressBytes?: number;
  /** What all sessions hold together, a frame held by several counted once. Default 1 GiB. */
  processBytes?: number;
}

export type ResolvedMemoryBudget = Required<MemoryBudgetOptions>;

/** The level of the budget that refused something or shed a session. */
export type MemoryLevel = 'session' | 'address' | 'process';

/**
 * What a held frame costs besides its text: the OutFrame object, the string's header, its slot in a
 * session's buffer. Measured with V8 (test/unit/server/memory-budget-levels-shared-frames.test.ts checks it stays true).
 */
export const FRAME_OVERHEAD = 120;
/** What an inbox entry costs besides the frame's text: the parsed frame and the entry itself. */
export const INBOX_ENTRY_OVERHEAD = 200;

/**
 * After shedding, a level is brought down to this share of its budget, so the next frame does not shed
 * again; from this share on, new sessions are refused.
 */
const SHED_TARGET = 0.9;

export function frameCost(frame: OutFrame): number {
  return frame.bytes + FRAME_OVERHEAD;
}

export interface MemoryStats {
  /** Bytes held by this process's sessions: unacknowledged frames (each shared frame once), inboxes, connection queues. */
  bytes: number;
  /** The process budget (`memory.processBytes`). */
  budget: number;
  /** Of `bytes`, in the sessions' inboxes. */
  inbox: number;
  /** Of `bytes`, in connection queues (long-polling) beyond the frames their sessions hold. */
  queues: number;
  /** What the sessions hold each counted on its own: a frame shared by n sessions counts n times. */
  sessions: number;
}

/** What the sessions of one client address hold together. */
class AddressMemory {
  bytes = 0;
  sessions = 0;
}

/**
 * One session's bytes. It is the ledger of the session's outbound buffer: each unacknowledged frame
 * counts whole here (what the session would cost alone), and in the process total only while it is
 * the first holder of a shared frame.
 */
export class SessionMemory implements FrameLedger {
  /** Everything this session holds: unacknowledged frames, inbox, its connection's queue. */
  bytes = 0;
  /** Of `bytes`, its inbox. */
  inbox = 0;

  constructor(
    private readonly budget: MemoryBudget,
    private readonly address: AddressMemory,
    readonly sessionId: string,
    readonly addressName: string,
  ) {}

  hold(frame: OutFrame): void {
    const cost = frameCost(frame);
    if (frame.holders++ === 0) {
      frame.retained();
      this.budget.bytes += cost;
    }
    this.count(cost);
  }

  release(frame: OutFrame): void {
    const cost = frameCost(frame);
    this.count(-cost);
    if (--frame.holders === 0) {
      frame.released();
      this.budget.bytes -= cost;
    }
  }

  /**
   * Takes `cost` bytes into the inbox if the session, its address and the process all have room for
   * them; otherwise counts the refusal and answers the level that has none.
   */
  takeInbox(cost: number): MemoryLevel | null {
    const level = this.budget.inboxRefusal(this, cost);
    if (level) this.budget.refused(level);
    else this.changeInbox(cost);
    return level;
  }

  /**
   * Takes a refused frame's entry (answered in order) into the inbox whatever the budget says, as long
   * as the inbox stays under twice its bound; answers false past that.
   */
  takeRefusal(cost: number): boolean {
    if (this.inbox + cost > 2 * this.budget.limits.inboxBytes) return false;
    this.changeInbox(cost);
    return true;
  }

  /** An inbox entry of `cost` bytes was handled (or dropped with its ended session). */
  leftInbox(cost: number): void {
    this.changeInbox(-cost);
  }

  /** A connection queue of this session grew or shrank by `delta` bytes. */
  queued(delta: number): void {
    this.budget.queues += delta;
    this.budget.bytes += delta;
    this.count(delta);
  }

  get addressBytes(): number {
    return this.address.bytes;
  }

  private changeInbox(delta: number): void {
    this.inbox += delta;
    this.budget.inbox += delta;
    this.budget.bytes += delta;
    this.count(delta);
  }

  /** Counts `delta` for this session and its address (the process total is counted by the caller). */
  private count(delta: number): void {
    this.bytes += delta;
    this.address.bytes += delta;
    this.budget.sessions += delta;
    if (delta > 0) this.budget.checkGrowth(this.address);
  }
}

/**
 * The server's memory budget. Counts, in bytes, what sessions hold: their unacknowledged frames (a
 * channel frame shared by many sessions counted once in the process total), their inboxes and their
 * connections' queues; per session, per client address, and in total. The policy at each level:
 *
 * - session: the outbound buffer's own bounds evict (4002); a full inbox refuses frames (`limit_exceeded`);
 * - address and process: from 90% of the budget new sessions are refused (4005); over it, inbox frames
 *   are refused and sessions are shed, those holding the most bytes first (4002), until the level is
 *   back under 90%.
 *
 * Shedding runs at the end of the tick that crossed a budget, once however many frames crossed it.
 */
export class MemoryBudget {
  /** Everything held, a shared frame once. */
  bytes = 0;
  inbox = 0;
  queues = 0;
  sessions = 0;
  private readonly addresses = new Map<string, AddressMemory>();
  private readonly accounts = new Set<SessionMemory>();
  private shedScheduled = false;

  constructor(
    readonly limits: ResolvedMemoryBudget,
    private readonly counters?: Counters,
    private readonly evict: (memory: SessionMemory, level: MemoryLevel) => void = () => {},
  ) {}

  /** A budget with no bounds, for a session on its own (tests). */
  static unbounded(): MemoryBudget {
    return new MemoryBudget({ inboxBytes: Infinity, addressBytes: Infinity, processBytes: Infinity });
  }

  /** The account of a new session from `address`. */
  open(sessionId: string, address: string): SessionMemory {
    let shared = this.addresses.get(address);
    if (!shared) {
      shared = new AddressMemory();
      this.addresses.set(address, shared);
    }
    shared.sessions++;
    const memory = new SessionMemory(this, shared, sessionId, address);
    this.accounts.add(memory);
    return memory;
  }

  /** The session ended (its frames are released by its buffer; late releases still count correctly). */
  close(memory: SessionMemory): void {
    if (!this.accounts.delete(memory)) return;
    const shared = this.addresses.get(memory.addressName);
    if (shared && --shared.sessions === 0) this.addresses.delete(memory.addressName);
  }

  /**
   * Whether a new session from `address` must be refused: the level that is full, or null. New sessions
   * are refused from 90% of a budget on, the level shedding brings it back to, so that a level shed
   * down to it does not fill up again at once with new sessions.
   */
  refusesSession(address: string): MemoryLevel | null {
    if (this.bytes >= this.limits.processBytes * SHED_TARGET) return 'process';
    if ((this.addresses.get(address)?.bytes ?? 0) >= this.limits.addressBytes * SHED_TARGET) return 'address';
    return null;
  }

  stats(): MemoryStats {
    return { bytes: this.bytes, budget: this.limits.processBytes, inbox: this.inbox, queues: this.queues, sessions: this.sessions };
  }

  /** @internal (SessionMemory) The level that has no room for `cost` more inbox bytes, or null. */
  inboxRefusal(memory: SessionMemory, cost: number): MemoryLevel | null {
    if (memory.inbox + cost > this.limits.inboxBytes) return 'session';
    if (memory.addressBytes + cost > this.limits.addressBytes) return 'address';
    if (this.bytes + cost > this.limits.processBytes) return 'process';
    return null;
  }

  /** Counts a refusal or a shed session at `level`. */
  refused(level: MemoryLevel): void {
    if (this.counters) this.counters.limitHits[LIMIT_OF[level]]++;
  }

  /** @internal (SessionMemory) Something of `address` grew: shed at the end of the tick if a budget is crossed. */
  checkGrowth(address: AddressMemory): void {
    if (address.bytes > this.limits.addressBytes || this.bytes > this.limits.processBytes) this.scheduleShed();
  }

  private scheduleShed(): void {
    if (this.shedScheduled) return;
    this.shedScheduled = true;
    atTickEnd(shedOverBudget, this);
  }

  /** @internal (tick end) Evicts the largest sessions of each address over its budget, then of the process if it still is. */
  shed(): void {
    this.shedScheduled = false;
    for (const [name, address] of this.addresses) {
      if (address.bytes > this.limits.addressBytes)
        this.shedWhile(() => address.bytes > this.limits.addressBytes * SHED_TARGET, 'address', name);
    }
    if (this.bytes > this.limits.processBytes) this.shedWhile(() => this.bytes > this.limits.processBytes * SHED_TARGET, 'process');
  }

  private shedWhile(over: () => boolean, level: MemoryLevel, address?: string): void {
    const candidates = [...this.accounts].filter((memory) => memory.bytes > 0 && (address === undefined || memory.addressName === address));
    candidates.sort((a, b) => b.bytes - a.bytes);
    for (const memory of candidates) {
      if (!over()) return;
      this.refused(level);
      this.evict(memory, level);
    }
  }
}

const LIMIT_OF = { session: 'inbox_bytes', address: 'address_bytes', process: 'process_bytes' } as const;

function shedOverBudget(budget: MemoryBudget): void {
  budget.shed();
}
