import { type DemoRequest, NAME_MAX, TEXT_MAX } from '../shared/demo-messages.js';

/** A request the demo refuses; its message is what the page shows (it reaches the client as `handler_error`). */
export class DemoError extends Error {}

/** Control characters (Unicode category Cc: U+0000–U+001F, U+007F–U+009F) and the line/paragraph separators. */
const CONTROL = /[\p{Cc}\u2028\u2029]/u;

function field(data: Record<string, unknown>, name: string): unknown {
  return Object.prototype.hasOwnProperty.call(data, name) ? data[name] : undefined;
}

export function cleanName(value: unknown): string {
  if (typeof value !== 'string') throw new DemoError('a name is required');
  const name = value.trim().replace(/\s+/g, ' ');
  if (name.length === 0) throw new DemoError('a name is required');
  if (name.length > NAME_MAX) throw new DemoError(`names are at most ${NAME_MAX} characters`);
  if (CONTROL.test(name)) throw new DemoError('names cannot contain control characters');
  return name;
}

export function cleanText(value: unknown): string {
  if (typeof value !== 'string') throw new DemoError('a message needs text');
  const text = value.trim();
  if (text.length === 0) throw new DemoError('a message needs text');
  if (text.length > TEXT_MAX) throw new DemoError(`messages are at most ${TEXT_MAX} characters`);
  // Keep line breaks and tabs; drop other control characters rather than refuse a pasted message.
  return text.replace(/\p{Cc}/gu, (char) => (char === '\t' || char === '\n' ? char : ''));
}

/** Checks the shape of a request from a page; anything else is refused with a reason. */
export function parseRequest(data: unknown): DemoRequest {
  if (typeof data !== 'object' || data === null) throw new DemoError('requests are objects with "app" and "type"');
  const record = data as Record<string, unknown>;
  const app = field(record, 'app');
  const type = field(record, 'type');
  if (app === 'chat') {
    if (type === 'join') return { app, type, name: cleanName(field(record, 'name')) };
    if (type === 'say') return { app, type, text: cleanText(field(record, 'text')) };
    if (type === 'leave') return { app, type };
  } else if (app === 'game') {
    if (type === 'sit') return { app, type, name: cleanName(field(record, 'name')) };
    if (type === 'move') {
      const column = field(record, 'column');
      if (typeof column !== 'number' || !Number.isInteger(column)) throw new DemoError('a move needs a column number');
      return { app, type, column };
    }
    if (type === 'leave' || type === 'rematch' || type === 'sync') return { app, type };
  }
  throw new DemoError(`unknown request ${JSON.stringify(app)}/${JSON.stringify(type)}`);
}
