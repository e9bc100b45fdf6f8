import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import {
  createServer,
  jwtAuth,
  type JwtAuthHooks,
  type Logger,
  MemoryBroker,
  type PushwireServer,
  redisBroker,
  type ServerOptions,
} from '../server/index.js';
import { ConfigError, type ServeConfig } from './config.js';

export interface StandaloneServer {
  http: Server;
  pushwire: PushwireServer;
  address: AddressInfo;
  /** Graceful shutdown: clients are told to reconnect elsewhere, then the sockets and the broker close. */
  close(): Promise<void>;
}

/** The server options a configuration stands for (the broker is made by the caller, who closes it). */
export function serverOptions(config: ServeConfig, logger: Logger): ServerOptions {
  return {
    path: config.path,
    allowedOrigins: config.allowedOrigins,
    limits: config.limits,
    maxPayload: config.maxPayload,
    sessionTtl: config.sessionTtl,
    trustProxy: config.trustProxy,
    metrics: config.metrics,
    logger,
    ...(config.jwt ? jwtHooks(config.jwt) : {}),
    ...(config.apiKeys ? { httpApi: { keys: config.apiKeys } } : {}),
    ...(config.idempotencyTtl ? { idempotency: { ttl: config.idempotencyTtl } } : {}),
  };
}

/** JWT auth from the jwt.* settings; a bad one (no key, a short secret, an unreadable file) is a ConfigError. */
function jwtHooks(jwt: NonNullable<ServeConfig['jwt']>): JwtAuthHooks {
  let publicKey: string | undefined;
  if (jwt.publicKeyFile !== undefined) {
    try {
      publicKey = readFileSync(jwt.publicKeyFile, 'utf8');
    } catch (error) {
      throw new ConfigError(`jwt.publicKeyFile ${jwt.publicKeyFile}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  try {
    return jwtAuth({ secret: jwt.secret, publicKey, jwksUrl: jwt.jwksUrl, issuer: jwt.issuer, audience: jwt.audience });
  } catch (error) {
    throw new ConfigError(`JWT settings: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * `pushwire serve`: a Pushwire server and nothing else on its own HTTP server (no pages; `/healthz`
 * answers 200 for load balancers), on the in-memory broker or, with a Redis URL, on Redis.
 */
export async function startStandaloneServer(config: ServeConfig, logger: Logger): Promise<StandaloneServer> {
  const broker = config.redisUrl
    ? redisBroker({ url: config.redisUrl, history: config.history, ...(config.redisPrefix ? { prefix: config.redisPrefix } : {}) })
    : new MemoryBroker({ history: config.history });
  const http = createHttpServer({ headersTimeout: 10_000, requestTimeout: 30_000 }, (req, res) => {
    if (req.url === '/healthz') res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  const pushwire = createServer({ ...serverOptions(config, logger), broker }).attach(http);
  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(config.port, config.host, () => {
        http.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await pushwire.close({ reconnectSpread: 0, grace: 0 });
    await broker.close();
    throw error;
  }
  return {
    http,
    pushwire,
    address: http.address() as AddressInfo,
    async close() {
      await pushwire.close({ grace: config.shutdownGrace });
      await broker.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
