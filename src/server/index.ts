export { createServer, PushwireServer, type PublishOptions, type PublishResult } from './server.js';
export { userIdOf } from './user-id.js';
export { PublicError } from './hook-errors.js';
export { jwtAuth, type JwtAuthHooks, type JwtAuthOptions, type JwtUser, type JwtClaims } from './auth/jwt-auth.js';
export { IdempotencyKeyReusedError, type IdempotencyOptions } from './idempotency.js';
export type { HttpApiOptions } from './http-api/http-api.js';
export { MemoryBroker, memoryBroker, type HistoryLimits, type MemoryBrokerOptions } from './broker/memory.js';
export { RedisBroker, redisBroker, type RedisBrokerOptions, type RedisConnectionOptions } from './broker/redis.js';
export type {
  Broker,
  BrokerListener,
  BrokerMessage,
  HistoryQuery,
  HistoryResult,
  IdempotencyKey,
  IdempotentPublish,
} from './broker/broker.js';
export type {
  AuthResult,
  HandshakeInfo,
  RequestInfo,
  ServerHooks,
  ServerOptions,
  Session,
  SessionEndReason,
  SlowConsumerLimits,
} from './options.js';
export type { Logger } from './logger.js';
export type { OutboundLimits } from './outbound-buffer.js';
export type { MemoryBudgetOptions, MemoryStats } from './memory-budget.js';
export type { Counters, LimitKind, ServerStats } from './metrics.js';
export type { LimitOptions } from './limits.js';
export type { OriginPolicy } from './origin.js';
export { CloseCode, closeAction, type CloseAction, type ErrorCode, type ServerErrorCode } from '../protocol/codes.js';
export { PROTOCOL_VERSION } from '../protocol/version.js';
export type { StatePosition, StateView } from './state/state-store.js';
export type { StateSnapshot } from './broker/broker.js';
export type { PresenceOptions } from './presence/presence-registry.js';
export { createPatch } from './state/diff.js';
export { PatchError, type PatchOperation, type WireOperation, type JsonValue } from '../protocol/json-patch.js';
export { expandPatch } from './state/patch.js';
export type { PresenceDocument } from '../protocol/presence.js';
