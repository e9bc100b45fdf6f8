/**
 * JSON Patch (RFC 6902) over JSON Pointer (RFC 6901), applied immutably: the input document is never
 * changed, and the result shares every untouched subtree with it. A patch applies completely or throws
 * a PatchError, so nobody sees a half-applied patch.
 *
 * This is the part the browser client needs — `add`, `remove`, `replace` — kept small for its size
 * budget. The server accepts all six operations and expands `move`, `copy` and `test` into these three
 * before a patch goes on the wire (src/server/state/patch.ts).
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type PatchOperation =
  | { op: 'add'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'replace'; path: string; value: unknown }
  | { op: 'move'; from: string; path: string }
  | { op: 'copy'; from: string; path: string }
  | { op: 'test'; path: string; value: unknown };

/** The operations that travel on the wire. */
export type WireOperation = Extract<PatchOperation, { op: 'add' | 'remove' | 'replace' }>;

export class PatchError extends Error {}

type JsonObject = Record<string, unknown>;

export function fail(message: string): never {
  throw new PatchError(message);
}

const has = (object: object, key: string): boolean => Object.prototype.hasOwnProperty.call(object, key);

/** Splits a JSON Pointer into its unescaped reference tokens ("" is the whole document). */
export function parsePointer(pointer: string): string[] {
  if (typeof pointer !== 'string' || (pointer !== '' && pointer[0] !== '/')) fail(`bad pointer ${pointer}`);
  return pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Escapes one reference token for a JSON Pointer (`~` → `~0`, `/` → `~1`). */
export function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** An array index as RFC 6901 allows it ("-" only where inserting); throws when out of bounds. */
export function arrayIndex(token: string, length: number, insert: boolean): number {
  const index = insert && token === '-' ? length : /^(0|[1-9]\d*)$/.test(token) ? +token : -1;
  if (index < 0 || index > length || (!insert && index === length)) fail(`bad index ${token}`);
  return index;
}

/** Copies `node` with the change of `op` made at `keys[i..]`; only containers along the path are copied. */
function edit(node: unknown, keys: string[], i: number, op: WireOperation): unknown {
  if (typeof node !== 'object' || node === null) fail(`no container at ${op.path}`);
  const key = keys[i]!;
  const last = i === keys.length - 1;
  if (Array.isArray(node)) {
    const copy = node.slice();
    const index = arrayIndex(key, copy.length, last && op.op === 'add');
    if (!last) copy[index] = edit(copy[index], keys, i + 1, op);
    else if (op.op === 'add') copy.splice(index, 0, op.value);
    else if (op.op === 'remove') copy.splice(index, 1);
    else copy[index] = op.value;
    return copy;
  }
  const copy: JsonObject = { ...(node as JsonObject) };
  if ((!last || op.op !== 'add') && !has(copy, key)) fail(`no ${op.path}`);
  if (last && op.op === 'remove') delete copy[key];
  // defineProperty: a "__proto__" key stays data and never becomes the prototype.
  else
    Object.defineProperty(copy, key, {
      value: last ? (op as { value: unknown }).value : edit(copy[key], keys, i + 1, op),
      writable: true,
      enumerable: true,
      configurable: true,
    });
  return copy;
}

/** Applies one add/remove/replace and returns the new document. */
export function applyOperation(doc: unknown, op: WireOperation): unknown {
  const name: string = op.op;
  if (name !== 'add' && name !== 'remove' && name !== 'replace') fail(`unsupported op ${name}`);
  if (name !== 'remove' && !('value' in op)) fail(`${name} needs a value`);
  const keys = parsePointer(op.path);
  if (keys.length > 0) return edit(doc, keys, 0, op);
  return op.op === 'remove' ? fail('cannot remove the document') : op.value;
}

/** Applies a wire patch (add/remove/replace), all or nothing: returns the new document, or throws PatchError. */
export function applyPatch<T = unknown>(doc: unknown, patch: readonly WireOperation[]): T {
  if (!Array.isArray(patch)) fail('a patch is an array');
  for (const op of patch) doc = applyOperation(doc, op);
  return doc as T;
}

/** Deep equality of JSON values (object key order does not matter). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || !a || !b || Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => has(b, k) && jsonEqual((a as JsonObject)[k], (b as JsonObject)[k]));
}
