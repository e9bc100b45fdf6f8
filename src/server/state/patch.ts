import {
  applyOperation,
  arrayIndex,
  fail,
  jsonEqual,
  parsePointer,
  type PatchOperation,
  type WireOperation,
} from '../../protocol/json-patch.js';

/** The value at a JSON Pointer; throws PatchError if there is none. */
export function valueAt(doc: unknown, pointer: string): unknown {
  let node = doc;
  for (const key of parsePointer(pointer)) {
    if (Array.isArray(node)) node = node[arrayIndex(key, node.length, false)];
    else if (typeof node === 'object' && node !== null && Object.prototype.hasOwnProperty.call(node, key))
      node = (node as Record<string, unknown>)[key];
    else fail(`no ${pointer}`);
  }
  return node;
}

/**
 * Applies a full RFC 6902 patch (all six operations) to `doc` and returns the result together with
 * the same change as a wire patch of add/remove/replace only: `move` becomes remove + add, `copy`
 * becomes add, and a `test` is checked here and dropped. Clients then only need those three.
 * All or nothing: throws PatchError if any operation fails.
 */
export function expandPatch(doc: unknown, patch: readonly PatchOperation[]): { doc: unknown; wire: WireOperation[] } {
  if (!Array.isArray(patch)) fail('a patch is an array of operations');
  const wire: WireOperation[] = [];
  const step = (op: WireOperation): void => {
    doc = applyOperation(doc, op);
    wire.push(op);
  };
  for (const op of patch) {
    if (typeof op !== 'object' || op === null) fail('a patch operation is an object');
    switch (op.op) {
      case 'test':
        if (!jsonEqual(valueAt(doc, op.path), op.value)) fail(`test failed at ${op.path}`);
        break;
      case 'copy':
        step({ op: 'add', path: op.path, value: valueAt(doc, op.from) });
        break;
      case 'move': {
        const value = valueAt(doc, op.from);
        if (op.path === op.from) break;
        if (op.path.startsWith(`${op.from}/`)) fail('cannot move a value into one of its own children');
        step({ op: 'remove', path: op.from });
        step({ op: 'add', path: op.path, value });
        break;
      }
      default:
        step(op);
    }
  }
  return { doc, wire };
}
