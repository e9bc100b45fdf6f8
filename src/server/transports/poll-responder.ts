import type { IncomingMessage, ServerResponse } from 'node:http';

/** Where a poll's answer goes: the HTTP response of a poll made here, or another node that passed a poll on. */
export interface PollResponder {
  respond(status: number, headers: Record<string, string>, body?: string): void;
  /** Calls back if the poll goes away unanswered (its client hung up). */
  onGone(callback: () => void): void;
}

export function httpPollResponder(req: IncomingMessage, res: ServerResponse): PollResponder {
  return {
    respond: (status, headers, body) => res.writeHead(status, headers).end(body),
    onGone: (callback) => req.once('close', callback),
  };
}
