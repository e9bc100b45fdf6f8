// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { parseClientFrame, type ParseResult } from '../../../src/protocol/validate.js';

const json = (value: unknown): string => JSON.stringify(value);

function refused(result: ParseResult): { code: string; msg: string; s?: number } {
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result.frame)}`);
  return result;
}

describe('parseClientFrame accepts every well-formed frame of protocol v1', () => {
  const good: [string, unknown][] = [
    ['hello', { t: 'hello', v: 1 }],
    ['resuming hello', { t: 'hello', v: 1, sid: 'abc', secret: 'def', rx: 0 }],
    ['hello with auth', { t: 'hello', v: 1, auth: { token: 'x' } }],
    ['sub', { t: 'sub', s: 1, ch: 'news' }],
    ['sub from a position', { t: 'sub', s: 2, ch: 'news', from: ['E', 0] }],
    ['sub with rewind', { t: 'sub', s: 3, ch: 'news', rewind: 0 }],
    ['unsub', { t: 'unsub', s: 4, ch: 'news' }],
    ['pub', { t: 'pub', s: 5, ch: 'news', d: { any: ['json'] } }],
    ['pub of null', { t: 'pub', s: 6, ch: 'news', d: null }],
    ['msg', { t: 'msg', s: 7, d: 'hi' }],
    ['ack', { t: 'ack', n: 0 }],
    ['pong', { t: 'pong', n: 12 }],
    ['ping', { t: 'ping', id: 3 }],
    ['bye', { t: 'bye' }],
  ];
  for (const [name, frame] of good) {
    it(name, () => {
      const result = parseClientFrame(json(frame));
      expect(result).toEqual({ ok: true, frame });
    });
  }

  it('accepts any protocol version number in hello (the version check answers a mismatch with 4100)', () => {
    expect(parseClientFrame(json({ t: 'hello', v: 2 }))).toMatchObject({ ok: true, frame: { v: 2 } });
  });

  it('keeps only the known fields of hello and bye', () => {
    expect(parseClientFrame(json({ t: 'hello', v: 1, extra: 1 }))).toEqual({ ok: true, frame: { t: 'hello', v: 1 } });
    expect(parseClientFrame(json({ t: 'bye', extra: 1 }))).toEqual({ ok: true, frame: { t: 'bye' } });
  });
});

describe('parseClientFrame refuses bad input with a clear code and never throws', () => {
  const bad: [string, string, string, RegExp, number?][] = [
    // [case, text, code, message pattern, s]
    ['not JSON', '{"t":', 'bad_frame', /not valid JSON/],
    ['empty text', '', 'bad_frame', /not valid JSON/],
    ['JSON null', 'null', 'bad_frame', /JSON object/],
    ['JSON array', '[1]', 'bad_frame', /JSON object/],
    ['JSON number', '42', 'bad_frame', /JSON object/],
    ['JSON string', '"hello"', 'bad_frame', /JSON object/],
    ['no type', json({ s: 1 }), 'bad_frame', /type field/],
    ['numeric type', json({ t: 1 }), 'bad_frame', /type field/],
    ['unknown type', json({ t: 'subscribe' }), 'unknown_type', /unknown frame type "subscribe"/],
    ['server-only type', json({ t: 'welcome' }), 'unknown_type', /unknown frame type/],
    ['sub without s', json({ t: 'sub', ch: 'a' }), 'bad_frame', /positive integer sequence number/],
    ['sub with s 0', json({ t: 'sub', s: 0, ch: 'a' }), 'bad_frame', /sequence number/],
    ['pub with negative s', json({ t: 'pub', s: -1, ch: 'a', d: 1 }), 'bad_frame', /sequence number/],
    ['msg with fractional s', json({ t: 'msg', s: 1.5, d: 1 }), 'bad_frame', /sequence number/],
    ['unsub with string s', json({ t: 'unsub', s: '1', ch: 'a' }), 'bad_frame', /sequence number/],
    ['s beyond safe integers', `{"t":"msg","s":9007199254740993,"d":1}`, 'bad_frame', /sequence number/],
    ['sub without channel', json({ t: 'sub', s: 1 }), 'bad_channel', /channel name/, 1],
    ['sub with empty channel', json({ t: 'sub', s: 2, ch: '' }), 'bad_channel', /channel name/, 2],
    ['pub with a space in the channel', json({ t: 'pub', s: 3, ch: 'a b', d: 1 }), 'bad_channel', /channel name/, 3],
    ['unsub with a 201-char channel', json({ t: 'unsub', s: 4, ch: 'x'.repeat(201) }), 'bad_channel', /channel name/, 4],
    ['sub with non-ASCII channel', json({ t: 'sub', s: 5, ch: 'café' }), 'bad_channel', /channel name/, 5],
    ['sub with numeric channel', json({ t: 'sub', s: 6, ch: 7 }), 'bad_channel', /channel name/, 6],
    ['sub with from not an array', json({ t: 'sub', s: 7, ch: 'a', from: 'E:1' }), 'bad_frame', /"from"/, 7],
    ['sub with from of one element', json({ t: 'sub', s: 8, ch: 'a', from: ['E'] }), 'bad_frame', /"from"/, 8],
    ['sub with from of an empty epoch', json({ t: 'sub', s: 9, ch: 'a', from: ['', 1] }), 'bad_frame', /"from"/, 9],
    ['sub with from of a huge epoch', json({ t: 'sub', s: 10, ch: 'a', from: ['e'.repeat(129), 1] }), 'bad_frame', /"from"/, 10],
    ['sub with from of a negative seq', json({ t: 'sub', s: 11, ch: 'a', from: ['E', -1] }), 'bad_frame', /"from"/, 11],
    ['sub with negative rewind', json({ t: 'sub', s: 12, ch: 'a', rewind: -5 }), 'bad_frame', /"rewind"/, 12],
    ['sub with fractional rewind', json({ t: 'sub', s: 13, ch: 'a', rewind: 0.5 }), 'bad_frame', /"rewind"/, 13],
    ['pub without payload', json({ t: 'pub', s: 14, ch: 'a' }), 'bad_frame', /payload "d"/, 14],
    ['msg without payload', json({ t: 'msg', s: 15 }), 'bad_frame', /payload "d"/, 15],
    ['hello without version', json({ t: 'hello' }), 'bad_frame', /protocol version/],
    ['hello with a string version', json({ t: 'hello', v: '1' }), 'bad_frame', /protocol version/],
    ['resuming hello without secret', json({ t: 'hello', v: 1, sid: 'a', rx: 0 }), 'bad_frame', /"sid", "secret" and "rx"/],
    ['resuming hello without rx', json({ t: 'hello', v: 1, sid: 'a', secret: 'b' }), 'bad_frame', /"sid", "secret" and "rx"/],
    ['resuming hello with negative rx', json({ t: 'hello', v: 1, sid: 'a', secret: 'b', rx: -1 }), 'bad_frame', /"rx"/],
    ['resuming hello with an oversized sid', json({ t: 'hello', v: 1, sid: 'a'.repeat(129), secret: 'b', rx: 0 }), 'bad_frame', /"sid"/],
    ['ack without n', json({ t: 'ack' }), 'bad_frame', /"n"/],
    ['ack with negative n', json({ t: 'ack', n: -1 }), 'bad_frame', /"n"/],
    ['pong with string n', json({ t: 'pong', n: '3' }), 'bad_frame', /"n"/],
    ['ping without id', json({ t: 'ping' }), 'bad_frame', /"id"/],
  ];

  for (const [name, text, code, msg, s] of bad) {
    it(`${name} → ${code}${s === undefined ? '' : ` for s ${s}`}`, () => {
      const result = refused(parseClientFrame(text));
      expect(result.code).toBe(code);
      expect(result.msg).toMatch(msg);
      expect(result.s).toBe(s);
    });
  }

  it('names a frame that is refused after its sequence number was read, so the error can answer it', () => {
    expect(parseClientFrame(json({ t: 'pub', s: 9, ch: '', d: 1 }))).toMatchObject({ ok: false, s: 9 });
  });

  it('names the sequence number of an unknown frame type that carries a valid one, so it is refused in order', () => {
    expect(parseClientFrame(json({ t: 'teleport', s: 4 }))).toMatchObject({ ok: false, code: 'unknown_type', s: 4 });
    expect(refused(parseClientFrame(json({ t: 'teleport', s: 0 }))).s).toBeUndefined();
    expect(refused(parseClientFrame(json({ t: 'teleport', s: '4' }))).s).toBeUndefined();
  });

  it('cuts a long unknown type name short in the message', () => {
    const result = refused(parseClientFrame(json({ t: 'z'.repeat(10_000) })));
    expect(result.code).toBe('unknown_type');
    expect(result.msg.length).toBeLessThan(100);
  });

  it('survives hostile input: deep nesting, huge numbers, prototype keys, lone surrogates', () => {
    const hostile = [
      '['.repeat(100_000) + ']'.repeat(100_000),
      `{"t":"pub","s":1,"ch":"a","d":${'['.repeat(50_000)}${']'.repeat(50_000)}}`,
      '{"t":"ack","n":1e400}',
      '{"__proto__":{"t":"bye"}}',
      '{"t":"constructor"}',
      '{"t":"toString"}',
      '{"t":"hasOwnProperty","s":1}',
      '{"t":"pub","s":1,"ch":"\\ud800","d":1}',
      '\u0000',
      '{"t":"hello","v":1,"sid":{},"secret":[],"rx":{}}',
    ];
    for (const text of hostile) {
      let result: ParseResult | undefined;
      expect(() => (result = parseClientFrame(text)), text.slice(0, 40)).not.toThrow();
      expect(result?.ok, text.slice(0, 40)).toBeDefined();
    }
    expect(parseClientFrame('{"__proto__":{"t":"bye"}}').ok).toBe(false);
    expect(refused(parseClientFrame('{"t":"ack","n":1e400}')).code).toBe('bad_frame');
    expect(refused(parseClientFrame('{"t":"toString"}')).code).toBe('unknown_type');
  });
});
