import type { Session } from 'pushwire/server';
import { CHAT_CHANNEL, type ChatEvent } from '../shared/demo-messages.js';
import { DemoError } from './request-parser.js';

export type Publish = (channel: string, data: unknown) => Promise<unknown>;

/**
 * The chat room: who is in it (by session), a cap on members, and join/leave notices. Messages go
 * out on the chat channel, whose history (the broker's, 1,000 messages) is what newcomers rewind.
 * Membership here is only what the cap needs; the online list will come from the presence API.
 */
export class ChatRoom {
  private readonly members = new Map<string, string>();

  constructor(
    private readonly publish: Publish,
    readonly capacity: number,
  ) {}

  get size(): number {
    return this.members.size;
  }

  async join(session: Session, name: string): Promise<void> {
    const current = this.members.get(session.id);
    if (current === name) return; // a page repeating its join after a reconnect
    const taken = [...this.members.entries()].some(([id, other]) => id !== session.id && other.toLowerCase() === name.toLowerCase());
    if (taken) throw new DemoError(`the name "${name}" is taken`);
    if (current === undefined && this.members.size >= this.capacity) {
      throw new DemoError(`the room is full (${this.capacity} people); try again later`);
    }
    if (current !== undefined) await this.notice('leave', current);
    this.members.set(session.id, name);
    await this.notice('join', name);
  }

  async say(session: Session, text: string): Promise<void> {
    const name = this.members.get(session.id);
    if (name === undefined) throw new DemoError('join the room before writing');
    const event: ChatEvent = { kind: 'message', name, text, at: Date.now() };
    await this.publish(CHAT_CHANNEL, event);
  }

  async leave(session: Session): Promise<void> {
    const name = this.members.get(session.id);
    if (name === undefined) return;
    this.members.delete(session.id);
    await this.notice('leave', name);
  }

  private async notice(kind: 'join' | 'leave', name: string): Promise<void> {
    const event: ChatEvent = { kind, name, at: Date.now() };
    await this.publish(CHAT_CHANNEL, event);
  }
}
