import { nameStore } from './chat-text.js';

/** The name this tab uses in the chat and at the game table; remembered for the tab's session. */
export class Identity {
  private current = nameStore.get();
  private readonly listeners = new Set<() => void>();

  get name(): string {
    return this.current;
  }

  set(name: string): void {
    this.current = name;
    nameStore.set(name);
    for (const listener of [...this.listeners]) listener();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
