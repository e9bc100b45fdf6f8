// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { CloseCode, closeAction } from '../../../src/protocol/codes.js';

describe('close code ranges tell the client what to do', () => {
  it('4100–4199 stop, 4200–4299 need fresh credentials, everything else reconnects', () => {
    const cases: [number, string][] = [
      [1000, 'reconnect'],
      [1006, 'reconnect'],
      [3999, 'reconnect'],
      [4000, 'reconnect'],
      [4099, 'reconnect'],
      [4100, 'stop'],
      [4199, 'stop'],
      [4200, 'reauth'],
      [4299, 'reauth'],
      [4300, 'reconnect'],
    ];
    for (const [code, action] of cases) expect(closeAction(code), String(code)).toBe(action);
  });

  it('every named code sits in the range its meaning needs', () => {
    const transient = ['ServerShutdown', 'HeartbeatTimeout', 'SlowConsumer', 'HandshakeTimeout', 'RateLimited'] as const;
    const fatal = ['ProtocolVersion', 'BadHandshake', 'Replaced', 'Forbidden'] as const;
    for (const name of transient) expect(closeAction(CloseCode[name]), name).toBe('reconnect');
    for (const name of fatal) expect(closeAction(CloseCode[name]), name).toBe('stop');
    expect(closeAction(CloseCode.Unauthorized)).toBe('reauth');
    const codes = Object.values(CloseCode);
    expect(new Set(codes).size).toBe(codes.length);
  });
});
