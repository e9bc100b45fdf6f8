/** `npm run bundle-size`: the client's min+gzip sizes against the budget, and where the bytes go. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import ts from 'typescript';
import { bytesByModule, clientSizes, FULL_CLIENT_BUDGET, measure, unmangledPrivateMembers } from './bundle.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const kb = (bytes: number): string => `${(bytes / 1024).toFixed(2)} KiB`;

const sizes = await clientSizes(root);
const row = (name: string, minified: number, gzip: number): string =>
  `${name.padEnd(40)} ${String(minified).padStart(7)} ${String(gzip).padStart(7)}  ${kb(gzip)}`;
console.log(`${'bundle (esbuild minify, gzip -9)'.padEnd(40)} ${'min B'.padStart(7)} ${'gzip B'.padStart(7)}`);
console.log(row('full client (all exports, ESM)', sizes.full.minified, sizes.full.gzip));
console.log(row('full client (IIFE, window.Pushwire)', sizes.iife.minified, sizes.iife.gzip));
console.log(row('PushwireClientBase, no transport', sizes.core.minified, sizes.core.gzip));
for (const t of sizes.withTransport) {
  console.log(row(`${t.name} only (PushwireClientBase + it)`, t.minified, t.gzip) + `  (transport: +${t.gzip - sizes.core.gzip} B gz)`);
}
console.log(row('WebSocket-only client (pushwire/websocket)', sizes.websocketOnly.minified, sizes.websocketOnly.gzip));
console.log(row('pushwire/sync add-on alone', sizes.sync.minified, sizes.sync.gzip));
console.log(
  row('full client + pushwire/sync', sizes.withSync.minified, sizes.withSync.gzip) +
    `  (add-on: +${sizes.withSync.gzip - sizes.full.gzip} B gz)`,
);
const headroom = FULL_CLIENT_BUDGET - sizes.full.gzip;
console.log(
  `\nbudget ${kb(FULL_CLIENT_BUDGET)} for the full client: ${headroom >= 0 ? `${headroom} B (${kb(headroom)}) of headroom` : `OVER by ${-headroom} B`}`,
);

console.log('\nwhere the bytes go (full client, minified bytes per module; gzip is not additive):');
const total = sizes.full.minified;
for (const { module, bytes } of bytesByModule(sizes.full)) {
  // Each module's own gzip size, alone: a rough guide to its compressed weight.
  console.log(`  ${module.padEnd(44)} ${String(bytes).padStart(6)} B  ${((bytes / total) * 100).toFixed(1).padStart(5)}%`);
}

// Internal members are shortened by the build (mangle.config.ts); any that miss the convention ship verbatim.
const unmangled = unmangledPrivateMembers(root);
console.log(
  `\nprivate/protected members shipped with their full names (missing the trailing _): ${unmangled.length ? unmangled.join(', ') : 'none'}`,
);
// What some pieces weigh in the compressed full client: each replaced by an empty stand-in (an estimate
// of what leaving it out would save, not a working build; gzip is not additive).
const full = "export * from './src/client/index.ts';";
const estimates: Array<[string, Record<string, string>]> = [
  [
    'eventsource-parser (the issue requires it; a minimal SSE line parser would cost ~200 B gz)',
    { 'eventsource-parser/dist/index.js': 'export function createParser(c){return{feed(t){},reset(){}}}' },
  ],
  [
    'upgrade probe (upgrade-probe.ts)',
    { 'src/client/upgrade-probe.ts': 'export const upgradeProbe = (...a: unknown[]): any => ({ opened_() {}, stop_() {} });' },
  ],
  [
    'transport memory (transport-memory.ts)',
    {
      'src/client/transport-memory.ts':
        'export const transportMemory = (...a: unknown[]) => ({ recall_: () => null, store_(x: unknown) {} });',
    },
  ],
  [
    'outbox (outbox.ts)',
    {
      'src/client/outbox.ts':
        'export const createOutbox = (...a: unknown[]): any => ({ entries_: [], add_(...a: any[]): any {}, ack_(s: number) {}, take_(s: number): any {}, expire_(...a: any[]) {}, rejectAll_(e: any) {}, restart_(...a: any[]) {} });',
    },
  ],
  [
    'channel bookkeeping (channel-book.ts)',
    {
      'src/client/channel-book.ts':
        'export const channelBook = (...a: unknown[]): any => ({ add_(...a: any[]) {}, remove_(...a: any[]) { return false }, message_(f: any) {}, subscribed_(f: any) {}, refused_(...a: any[]) {}, restart_(...a: any[]) {}, resubscribeAll_() {} });',
    },
  ],
  [
    'HTTP upstream (http-upstream.ts, shared by SSE and long-polling)',
    {
      'src/client/transports/http-upstream.ts':
        'export const httpUpstream = (...a: unknown[]): any => ({ ready_(...a: any[]) {}, push_(t: string) {}, stop_() {}, finish_(d?: any) {} });',
    },
  ],
];
console.log('');
for (const [what, stubs] of estimates) {
  const cut = await measure(root, 'estimate', full, { stubs });
  console.log(`${what}: ${sizes.full.gzip - cut.gzip} B gz`);
}
const messages = messageLiterals(sizes.full.code);
const messageBytes = messages.reduce((sum, text) => sum + text.length, 0);
console.log(
  `human-readable string literals in the bundle (errors, reasons): ${messages.length}, ${messageBytes} B minified, ~${gzipSync(messages.join('\n'), { level: 9 }).length} B gz on their own`,
);

/** String and template literals of the minified bundle that contain a space: messages meant for people. */
function messageLiterals(code: string): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      ts.isStringLiteral(node) ||
      ts.isNoSubstitutionTemplateLiteral(node) ||
      ts.isTemplateHead(node) ||
      ts.isTemplateMiddle(node) ||
      ts.isTemplateTail(node)
    ) {
      if (node.text.includes(' ')) found.push(node.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile('bundle.js', code, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS));
  return found;
}
