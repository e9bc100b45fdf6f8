import { fetchText } from './http-request.js';

/** What a test-mode server runs with (docs/PROTOCOL.md, TM1 `config`). */
export interface ServerConfig {
  hb: number;
  grace: number;
  max: number;
  handshakeTimeout: number;
  sessionTtl: number;
  pollTimeout: number;
  sseKeepalive?: number;
  historyMessages: number | null;
  outboundFrames: number;
  outboundBytes: number;
  maxSubscriptions: number;
  framesPerSecond: number;
  frameBurst: number;
  transports: string[];
}

/** The client of a server's test-mode control endpoint, `POST {path}/test` (TM1). */
export class Control {
  constructor(
    private readonly url: string,
    private readonly timeoutMs: number,
  ) {}

  /** The server's configuration, or null when the server has no test mode. */
  async config(): Promise<ServerConfig | null> {
    const answer = await this.call({ op: 'config' }).catch(() => null);
    return answer && answer.status === 200 ? (answer.body as ServerConfig) : null;
  }

  async publish(ch: string, d: unknown, count = 1): Promise<{ epoch: string; seq: number }> {
    return (await this.ok({ op: 'publish', ch, d, count })) as { epoch: string; seq: number };
  }

  async send(sid: string, d: unknown): Promise<void> {
    await this.ok({ op: 'send', sid, d });
  }

  async close(sid: string, code: number, reason = 'closed by the conformance kit'): Promise<void> {
    await this.ok({ op: 'close', sid, code, reason });
  }

  async call(command: Record<string, unknown>): Promise<{ status: number; body: unknown }> {
    const answer = await fetchText(
      `${this.url}/test`,
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(command) },
      this.timeoutMs,
    );
    let body: unknown = null;
    try {
      body = JSON.parse(answer.body);
    } catch {
      body = answer.body;
    }
    return { status: answer.status, body };
  }

  private async ok(command: Record<string, unknown>): Promise<unknown> {
    const answer = await this.call(command);
    if (answer.status !== 200)
      throw new Error(
        `test-mode command ${JSON.stringify(command).slice(0, 80)} answered ${answer.status}: ${JSON.stringify(answer.body)}`,
      );
    return answer.body;
  }
}
