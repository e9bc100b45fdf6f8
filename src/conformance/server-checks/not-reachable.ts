import { type ServerCheck, Skip } from '../check.js';

/** Close codes a server may use (docs/PROTOCOL.md, CC2). */
export const DOCUMENTED_CLOSE_CODES: ReadonlySet<number> = new Set([
  1000, 1003, 1009, 4000, 4001, 4002, 4003, 4004, 4005, 4100, 4101, 4102, 4103, 4200, 4201,
]);

/** Plain handshakes on each transport, and the server rules one server in test mode cannot be driven into. */
export const basicChecks: ServerCheck[] = [
  {
    id: 'WS1',
    title: 'GET {path}/ws with an upgrade opens a connection',
    scope: 'websocket',
    async run(t) {
      await t.handshake();
    },
  },
  {
    id: 'SE1',
    title: 'POST {path}/sse with the hello opens an SSE connection',
    scope: 'sse',
    async run(t) {
      await t.handshake();
    },
  },
  {
    id: 'LP1',
    title: 'POST {path}/poll with the hello is answered like a poll, the welcome in the first batch',
    scope: 'long-polling',
    async run(t) {
      const peer = await t.handshake();
      if (peer.received[0]?.frame.t !== 'welcome') throw new Error('the first batch must hold the welcome');
    },
  },
  {
    id: 'LP8',
    title: 'long-polling upstream frames go through POST {path}/send',
    scope: 'long-polling',
    async run(t) {
      await t.subscribedSession();
    },
  },
];

function unreachable(id: string, title: string, why: string): ServerCheck {
  return {
    id,
    title,
    scope: 'once',
    run() {
      return Promise.reject(new Skip(why));
    },
  };
}

const ONE_NODE = 'needs a cluster of several nodes sharing a broker';

export const unreachableChecks: ServerCheck[] = [
  unreachable('EP5', 'an allowed cross-origin page gets CORS headers', 'needs a server configured with allowedOrigins'),
  unreachable('EP6', 'a server shutting down answers 503', 'needs a server that is shutting down'),
  unreachable('SC5', 'a shutdown close frame carries retry', 'needs a server that is shutting down'),
  unreachable('SB6', 'a lost history under a live subscription resets it', "needs the broker to lose a channel's history (a restart)"),
  unreachable('EV7', 'a lost history under an event stream sends reset', "needs the broker to lose a channel's history (a restart)"),
  unreachable('SE6', 'an SSE stream the client does not read is cut', 'needs a consumer that stops reading at the TCP level for megabytes'),
  unreachable(
    'SL1',
    'a connection that does not drain is evicted with 4002',
    'needs a consumer that stops reading at the TCP level for the stall time',
  ),
  unreachable('BD7', 'sessions over the total or per-address limit close with 4005', 'needs a server with a small session limit'),
  unreachable(
    'BD9',
    'an inbox over its bound refuses frames with limit_exceeded',
    'needs an inbox bound below what the rate limit lets through',
  ),
  unreachable('BD11', 'handshakes in progress per address are bounded (4005)', 'needs a thousand handshakes held open at once'),
  unreachable('SL4', 'a session whose receipts do not advance is evicted', 'needs the receipt stall time (30 s by default) to pass'),
  unreachable('SL5', 'the memory budget sheds the largest sessions', 'needs a server with a small memory budget'),
  unreachable('SL6', 'a bounded inbox: limit_exceeded, then 4004', 'needs an inbox bound below what the rate limit lets through'),
  unreachable('CU1', 'session records in the shared store', ONE_NODE),
  unreachable('CU2', 'takeover of a session held by another node', ONE_NODE),
  unreachable('CU3', 'at most once across a node crash', ONE_NODE),
  unreachable('CU4', 'HTTP requests passed on to the node holding the connection', ONE_NODE),
  unreachable('CU5', 'presence of a dead node removed', ONE_NODE),
  unreachable('CU6', 'a node shutting down hands its sessions over', ONE_NODE),
  unreachable('CU7', 'a node never changes a record another node holds (fencing)', ONE_NODE),
];
