import { escapePointerToken, jsonEqual, type PatchOperation } from '../../protocol/json-patch.js';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A JSON Patch that turns `from` into `to`: objects are compared key by key, arrays index by index
 * (then trailing items added or removed), anything else is replaced. Not a minimal edit script (an
 * insertion at the front of an array rewrites the rest), but always correct and linear in size.
 */
export function createPatch(from: unknown, to: unknown, path = ''): PatchOperation[] {
  if (jsonEqual(from, to)) return [];
  if (isObject(from) && isObject(to)) {
    const ops: PatchOperation[] = [];
    for (const key of Object.keys(from)) {
      if (!Object.prototype.hasOwnProperty.call(to, key)) ops.push({ op: 'remove', path: `${path}/${escapePointerToken(key)}` });
    }
    for (const key of Object.keys(to)) {
      const child = `${path}/${escapePointerToken(key)}`;
      if (!Object.prototype.hasOwnProperty.call(from, key)) ops.push({ op: 'add', path: child, value: to[key] });
      else ops.push(...createPatch(from[key], to[key], child));
    }
    return ops;
  }
  if (Array.isArray(from) && Array.isArray(to)) {
    const ops: PatchOperation[] = [];
    const common = Math.min(from.length, to.length);
    for (let i = 0; i < common; i++) ops.push(...createPatch(from[i], to[i], `${path}/${i}`));
    for (let i = from.length - 1; i >= to.length; i--) ops.push({ op: 'remove', path: `${path}/${i}` });
    for (let i = from.length; i < to.length; i++) ops.push({ op: 'add', path: `${path}/-`, value: to[i] });
    return ops;
  }
  return [{ op: 'replace', path, value: to }];
}
