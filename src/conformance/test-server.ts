import { createServer, type PushwireServer, type ServerOptions } from '../server/index.js';

/**
 * A reference server set up for the conformance kit: test mode on, and every limit and timer small
 * enough that the kit reaches it within seconds (heartbeat 1 s, session TTL 1.5 s, history 120
 * messages, outbound buffer 200 frames…). Never a server for users: test mode lets anyone publish
 * anywhere and end any session.
 */
export const CONFORMANCE_SERVER_OPTIONS: ServerOptions = {
  testMode: true,
  heartbeatInterval: 1_000,
  handshakeTimeout: 1_000,
  sessionTtl: 1_500,
  pollTimeout: 300,
  sseKeepalive: 1_000,
  maxPayload: 4_096,
  history: { size: 120 },
  outbound: { maxFrames: 200, maxBytes: 256 * 1024 },
  limits: { maxSubscriptions: 20, framesPerSecond: 200, frameBurst: 100 },
};

/** Starts the reference server in test mode on `port` (0: a free one). */
export async function startConformanceServer(
  port: number,
  host = '127.0.0.1',
  options: ServerOptions = {},
): Promise<{ server: PushwireServer; url: string }> {
  const server = createServer({ ...CONFORMANCE_SERVER_OPTIONS, ...options });
  const address = await server.listen(port, host);
  return { server, url: `http://${host}:${address.port}${server.path}` };
}
