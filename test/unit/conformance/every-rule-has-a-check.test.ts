import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clientChecks } from '../../../src/conformance/client-kit/client-checks.js';
import { serverChecks } from '../../../src/conformance/server-kit.js';

// (Vitest runs from the repository's root; the unit project's environment has no file: module URLs.)
const PROTOCOL = readFileSync(resolve(process.cwd(), 'docs/PROTOCOL.md'), 'utf8');

/** Rule ids as PROTOCOL.md defines them: a list item or table row that starts with the bold id. */
const defined = [...PROTOCOL.matchAll(/^\s*(?:- |\| )\*\*([A-Z]{2}\d+[a-z]?)\*\*/gm)].map((match) => match[1]!);

describe('the conformance kits and PROTOCOL.md', () => {
  it('give every rule of PROTOCOL.md at least one check in one kit, and check no rule it does not define', () => {
    // CC2 is judged by the server kit over the close codes every other check saw (server-kit.ts).
    const checked = new Set(['CC2', ...serverChecks().map((check) => check.id), ...clientChecks.map((check) => check.id)]);
    // A rule's details (CL3a…) are checked with it.
    const unchecked = defined.filter((id) => !checked.has(id) && !checked.has(id.replace(/[a-z]$/, '')));
    expect(unchecked).toEqual([]);
    expect([...checked].filter((id) => !defined.includes(id))).toEqual([]);
    expect(new Set(defined).size).toBe(defined.length);
  });
});
