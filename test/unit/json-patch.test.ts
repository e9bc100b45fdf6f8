import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyPatch, jsonEqual, PatchError, type PatchOperation, type WireOperation } from '../../src/protocol/json-patch.js';
import { createPatch } from '../../src/server/state/diff.js';
import { expandPatch, valueAt } from '../../src/server/state/patch.js';

/** Small JSON documents with few distinct keys, so random paths often hit existing values. */
const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(null, true, false, 0, 1, 'a', 'b~/c'),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom('a', 'b', 'c', 'x/y', 'm~n', '__proto__'), tie('value'), { maxKeys: 4 }),
  ),
})).value;

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** Every JSON Pointer into a document (including "" and the "-" append position of arrays). */
function pointers(doc: unknown, prefix = ''): string[] {
  const out = [prefix];
  if (Array.isArray(doc)) {
    doc.forEach((item, i) => out.push(...pointers(item, `${prefix}/${i}`)));
    out.push(`${prefix}/-`);
  } else if (typeof doc === 'object' && doc !== null) {
    for (const [key, value] of Object.entries(doc))
      out.push(...pointers(value, `${prefix}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`));
    out.push(`${prefix}/new`);
  }
  return out;
}

/** A random operation aimed at a document's real paths (it may still be invalid, e.g. remove of "-"). */
function operationFor(doc: unknown): fc.Arbitrary<PatchOperation> {
  const path = fc.constantFrom(...pointers(doc));
  return fc.oneof(
    fc.record({ op: fc.constant('add' as const), path, value: json }),
    fc.record({ op: fc.constant('remove' as const), path }),
    fc.record({ op: fc.constant('replace' as const), path, value: json }),
    fc.record({ op: fc.constant('move' as const), from: path, path }),
    fc.record({ op: fc.constant('copy' as const), from: path, path }),
    fc.record({ op: fc.constant('test' as const), path, value: json }),
  );
}

describe('JSON Patch (RFC 6902)', () => {
  it('applies the examples of RFC 6902 appendix A', () => {
    expect(applyPatch({ foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }])).toEqual({ baz: 'qux', foo: 'bar' });
    expect(applyPatch({ foo: ['bar', 'baz'] }, [{ op: 'add', path: '/foo/1', value: 'qux' }])).toEqual({ foo: ['bar', 'qux', 'baz'] });
    expect(applyPatch({ baz: 'qux', foo: 'bar' }, [{ op: 'remove', path: '/baz' }])).toEqual({ foo: 'bar' });
    expect(applyPatch({ foo: ['bar', 'qux', 'baz'] }, [{ op: 'remove', path: '/foo/1' }])).toEqual({ foo: ['bar', 'baz'] });
    expect(applyPatch({ baz: 'qux', foo: 'bar' }, [{ op: 'replace', path: '/baz', value: 'boo' }])).toEqual({ baz: 'boo', foo: 'bar' });
    expect(applyPatch({ foo: ['bar'] }, [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }])).toEqual({ foo: ['bar', ['abc', 'def']] });
    expect(applyPatch({ '/': 9, '~1': 10 }, [{ op: 'replace', path: '/~01', value: 1 }])).toEqual({ '/': 9, '~1': 1 });
    expect(
      expandPatch({ foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } }, [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }])
        .doc,
    ).toEqual({
      foo: { bar: 'baz' },
      qux: { corge: 'grault', thud: 'fred' },
    });
    expect(expandPatch({ foo: ['all', 'grass', 'cows', 'eat'] }, [{ op: 'move', from: '/foo/1', path: '/foo/3' }]).doc).toEqual({
      foo: ['all', 'cows', 'eat', 'grass'],
    });
    expect(() => expandPatch({ baz: 'qux' }, [{ op: 'test', path: '/baz', value: 'bar' }])).toThrow(PatchError);
  });

  it('refuses what RFC 6902 calls errors: missing targets, bad indexes, a missing value', () => {
    const bad: unknown[][] = [
      [{ foo: 'bar' }, [{ op: 'add', path: '/baz/bat', value: 'qux' }]],
      [{ a: 1 }, [{ op: 'remove', path: '/b' }]],
      [{ a: 1 }, [{ op: 'replace', path: '/b', value: 2 }]],
      [[1, 2], [{ op: 'add', path: '/3', value: 0 }]],
      [[1, 2], [{ op: 'add', path: '/01', value: 0 }]],
      [[1, 2], [{ op: 'remove', path: '/-' }]],
      [{ a: 1 }, [{ op: 'add', path: '/b' }]],
      [{ a: 1 }, [{ op: 'add', path: 'b', value: 1 }]],
      [{ a: 1 }, [{ op: 'remove', path: '' }]],
      [{ a: 1 }, [{ op: 'move', path: '' }]],
      [{ a: 1 }, { op: 'add', path: '/b', value: 1 }],
      ['text', [{ op: 'add', path: '/x', value: 1 }]],
    ];
    for (const [doc, patch] of bad) expect(() => applyPatch(doc, patch as WireOperation[]), JSON.stringify(patch)).toThrow(PatchError);
  });

  it('keeps "__proto__" as an ordinary key and never touches a prototype', () => {
    const doc = applyPatch<Record<string, unknown>>({}, [{ op: 'add', path: '/__proto__', value: { polluted: true } }]);
    expect(Object.getPrototypeOf(doc)).toBe(Object.prototype);
    expect(Object.keys(doc)).toEqual(['__proto__']);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('createPatch(a, b) turns a into b, without changing a (property)', () => {
    fc.assert(
      fc.property(json, json, (a, b) => {
        const before = deepFreeze(clone(a));
        const patch = createPatch(before, b);
        expect(jsonEqual(applyPatch(before, patch as WireOperation[]), b)).toBe(true);
        expect(jsonEqual(before, a)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('a patch applies completely or not at all: a failing operation leaves the input untouched (property)', () => {
    fc.assert(
      fc.property(
        json.chain((doc) => fc.tuple(fc.constant(doc), fc.array(operationFor(doc), { minLength: 1, maxLength: 5 }))),
        ([doc, patch]) => {
          const frozen = deepFreeze(clone(doc));
          let result: { doc: unknown; wire: WireOperation[] } | undefined;
          try {
            result = expandPatch(frozen, patch);
          } catch (error) {
            expect(error).toBeInstanceOf(PatchError);
          }
          expect(jsonEqual(frozen, doc)).toBe(true);
          if (result) {
            // The wire form (add/remove/replace only, what clients apply) gives the same document.
            expect(result.wire.every((op) => ['add', 'remove', 'replace'].includes(op.op))).toBe(true);
            expect(jsonEqual(applyPatch(frozen, result.wire), result.doc)).toBe(true);
            // ...and survives the trip through JSON that every message takes.
            expect(jsonEqual(applyPatch(frozen, clone(result.wire)), result.doc)).toBe(true);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('shares every untouched subtree with the input (structural sharing)', () => {
    const doc = deepFreeze({ big: { deep: [1, 2, 3] }, small: { n: 1 } });
    const next = applyPatch<typeof doc>(doc, [{ op: 'replace', path: '/small/n', value: 2 }]);
    expect(next.big).toBe(doc.big);
    expect(next.small).toEqual({ n: 2 });
    expect(valueAt(next, '/big/deep/2')).toBe(3);
  });
});
