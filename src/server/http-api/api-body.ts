import type { IncomingMessage } from 'node:http';
import { isValidChannelName } from '../../protocol/channel.js';
import { presenceTarget } from '../../protocol/presence.js';
import { BodyTooLargeError, readBody } from '../transports/http-body.js';
import { ApiError, invalidField } from './api-error.js';

/** A request's JSON object, with checked access to its fields. */
export class ApiBody {
  private constructor(private readonly fields: Record<string, unknown>) {}

  /**
   * Reads the body (at most `limit` bytes) as one JSON object, whatever its Content-Type says (`curl -d`
   * labels JSON as a form; refusing it would only get in the way) whose fields are all in `allowed`: an
   * unknown field is refused rather than ignored, so a misspelt one does not go unnoticed.
   */
  static async read(req: IncomingMessage, limit: number, allowed: readonly string[]): Promise<ApiBody> {
    let text: string;
    try {
      text = await readBody(req, limit);
    } catch (error) {
      if (error instanceof BodyTooLargeError) throw new ApiError(413, 'too_large', error.message, undefined, { connection: 'close' });
      throw new ApiError(400, 'incomplete_body', 'the request body ended early');
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new ApiError(400, 'invalid_json', 'the body is not valid JSON');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new ApiError(400, 'invalid_json', 'the body must be a JSON object');
    const unknown = Object.keys(value).find((name) => !allowed.includes(name));
    if (unknown !== undefined)
      throw new ApiError(400, 'unknown_field', `unknown field "${unknown}"; this endpoint takes ${allowed.join(', ')}`, unknown);
    return new ApiBody(value as Record<string, unknown>);
  }

  has(name: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.fields, name);
  }

  /** A field that must be present; any JSON value (null included). */
  required(name: string): unknown {
    if (!this.has(name)) throw invalidField(name, `field "${name}" is required`);
    return this.fields[name];
  }

  /** An optional string field (undefined when absent). */
  string(name: string): string | undefined {
    const value = this.fields[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.length === 0) throw invalidField(name, `field "${name}" must be a non-empty string`);
    return value;
  }

  /** A channel an application writes to: a valid name and not a `$presence:` channel. */
  channel(): string {
    return writableChannel(this.required('channel'));
  }
}

/** Checks a channel name from a body or a query string. */
export function readableChannel(value: unknown): string {
  if (value === undefined || value === null) throw invalidField('channel', 'field "channel" is required');
  if (!isValidChannelName(value)) throw invalidField('channel', 'a channel name is 1–200 printable ASCII characters without spaces');
  return value;
}

function writableChannel(value: unknown): string {
  const channel = readableChannel(value);
  if (presenceTarget(channel) !== null) throw invalidField('channel', 'presence channels are written by their members only');
  return channel;
}
