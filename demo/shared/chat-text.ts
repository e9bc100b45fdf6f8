import type { ChatEvent } from '../shared/demo-messages.js';

/** Chat history kept on the page: as much as the server keeps. */
export const CHAT_HISTORY = 1000;

export function timeOf(at: number): string {
  return new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export function noticeText(event: ChatEvent): string {
  return event.kind === 'join' ? `${event.name} joined` : `${event.name} left`;
}

/** A name remembered for this tab, so a reload (or a rejoin after the server restarted) keeps it. */
export const nameStore = {
  get(): string {
    try {
      return sessionStorage.getItem('pushwire-demo-name') ?? '';
    } catch {
      return '';
    }
  },
  set(name: string): void {
    try {
      sessionStorage.setItem('pushwire-demo-name', name);
    } catch {
      // Storage may be disabled; the name then lasts as long as the page.
    }
  },
};
