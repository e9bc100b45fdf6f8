import WebSocket from 'ws';
import { Peer } from './peer.js';

/** A raw peer on `{path}/ws` (the `ws` package, no Pushwire code). */
export class WebSocketPeer extends Peer {
  readonly transport = 'websocket' as const;
  private readonly socket: WebSocket;

  constructor(baseUrl: string, timeoutMs: number, headers: Record<string, string> = {}) {
    super(timeoutMs);
    this.socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`, { headers, perMessageDeflate: false });
    this.socket.on('message', (data, isBinary) => {
      if (isBinary) this.violations.push('a binary message');
      else this.receive(data.toString());
    });
    this.socket.on('close', (code, reason) => this.setClosed({ code, reason: reason.toString() }));
    this.socket.on('unexpected-response', (req, res) => {
      this.openStatus = res.statusCode ?? 0;
      res.resume();
      req.destroy();
      this.setClosed({ code: 1006, reason: `upgrade refused: HTTP ${res.statusCode}` });
    });
    this.socket.on('error', (error) => this.setClosed({ code: 1006, reason: error.message }));
    this.socket.once('open', () => {
      this.openStatus = 101;
      this.notify();
    });
  }

  /** Resolves once the upgrade was answered (open or refused) or failed. */
  opened(): Promise<void> {
    return this.until(() => this.openStatus !== 0 || this.closed !== null, 'the answer to the upgrade');
  }

  async sendText(text: string): Promise<number> {
    await this.opened();
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(text);
    return 0;
  }

  /** Sends a binary message (which the protocol refuses). */
  async sendBinary(bytes: Buffer): Promise<void> {
    await this.opened();
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(bytes, { binary: true });
  }

  cut(): void {
    this.socket.terminate();
  }

  /** A clean WebSocket close from the client side. */
  close(): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.close(1000);
    else this.socket.terminate();
  }
}
