// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { parseClientFrame } from '../../../src/protocol/validate.js';

describe('validation of the synced-state and presence frames', () => {
  it('accepts get, join and leave with a sequence number and a channel', () => {
    expect(parseClientFrame('{"t":"get","s":1,"ch":"game"}')).toMatchObject({ ok: true, frame: { t: 'get', ch: 'game' } });
    expect(parseClientFrame('{"t":"join","s":2,"ch":"room","meta":{"name":"Ann"}}')).toMatchObject({
      ok: true,
      frame: { meta: { name: 'Ann' } },
    });
    expect(parseClientFrame('{"t":"join","s":2,"ch":"room","meta":null}')).toMatchObject({ ok: true });
    expect(parseClientFrame('{"t":"leave","s":3,"ch":"room"}')).toMatchObject({ ok: true });
  });

  it('names the frame it refuses: missing meta, bad channel, presence name too long', () => {
    expect(parseClientFrame('{"t":"join","s":4,"ch":"room"}')).toMatchObject({ ok: false, code: 'bad_frame', s: 4 });
    expect(parseClientFrame('{"t":"get","s":5,"ch":"has space"}')).toMatchObject({ ok: false, code: 'bad_channel', s: 5 });
    expect(parseClientFrame(`{"t":"leave","s":6,"ch":"${'x'.repeat(191)}"}`)).toMatchObject({ ok: false, code: 'bad_channel', s: 6 });
    expect(parseClientFrame(`{"t":"join","s":7,"ch":"${'x'.repeat(190)}","meta":1}`)).toMatchObject({ ok: true });
    expect(parseClientFrame('{"t":"get","ch":"game"}')).toMatchObject({ ok: false, code: 'bad_frame' });
  });
});
