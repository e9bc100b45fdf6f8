/**
 * The client unit tests' one set of fakes, at three depths (each test takes the one its layer needs):
 * - fake-transport.ts: a transport whose pipes the test plays frame by frame, no network at all (the
 *   session layer alone);
 * - mock-websocket-server.ts: msw's mocked WebSocket, the test playing the server frame by frame (the
 *   real WebSocket transport under the session);
 * - mock-pushwire.ts: a small automatic Pushwire server on msw for all three transports, with switches to
 *   make each misbehave (negotiation, fallback, upgrade, the HTTP transports).
 * They share wire.ts (the welcome they send, how a message of several frames is read).
 */
export { FakePipe, fakeTransport, useFakeClient } from './fake-transport.js';
export { advance, BASE_URL, MockConnection, record, settle, track, useMockServer } from './mock-websocket-server.js';
export { BASE, MockPushwire } from './mock-pushwire.js';
export { parseFrames, type SentFrame, welcomeFrame } from './wire.js';
