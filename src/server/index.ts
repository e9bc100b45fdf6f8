export { createServer, PushwireServer } from './server.js';
export { MemoryBroker, memoryBroker, type HistoryLimits, type MemoryBrokerOptions } from './broker/memory.js';
export type { Broker, BrokerListener, BrokerMessage, HistoryQuery, HistoryResult } from './broker/broker.js';
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
export type { CoreStats as ServerStats } from './core.js';
export { CloseCode, closeAction, type CloseAction, type ErrorCode, type ServerErrorCode } from '../protocol/codes.js';
export { PROTOCOL_VERSION } from '../protocol/version.js';
