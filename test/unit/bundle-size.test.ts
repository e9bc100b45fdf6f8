// @vitest-environment node
// esbuild refuses to run under a DOM environment (its TextEncoder check), and this measures a build.
import { describe, expect, it } from 'vitest';
import {
  bytesByModule,
  clientSizes,
  FULL_CLIENT_BUDGET,
  FULL_CLIENT_CEILING,
  type ClientSizes,
  unmangledPrivateMembers,
  WEBSOCKET_ONLY_BUDGET,
  WEBSOCKET_ONLY_CEILING,
} from '../../bench/bundle.js';

const root = new URL('../..', import.meta.url).pathname;
let sizes: ClientSizes | undefined;
const measured = async (): Promise<ClientSizes> => (sizes ??= await clientSizes(root));

describe('client bundle size (esbuild minify, gzip -9)', () => {
  // Until the client is cut back to the budget, the enforced limit is the ceiling (see bench/bundle.ts).
  const limit = FULL_CLIENT_CEILING;
  it(`keeps the full client, every transport included, within ${limit} bytes min+gzip (budget ${FULL_CLIENT_BUDGET})`, async () => {
    const { full, iife, core, withTransport, withSync } = await measured();
    const budget = FULL_CLIENT_BUDGET - full.gzip;
    console.log(
      `bundle: full ${full.gzip} B gz (IIFE ${iife.gzip} B), no transport ${core.gzip} B, ` +
        withTransport.map((t) => `${t.name} only ${t.gzip} B`).join(', ') +
        `, pushwire/sync add-on +${withSync.gzip - full.gzip} B` +
        (budget >= 0
          ? `; ${budget} B under the ${FULL_CLIENT_BUDGET} B budget`
          : `; OVER the ${FULL_CLIENT_BUDGET} B budget by ${-budget} B`),
    );
    expect(full.gzip).toBeLessThanOrEqual(limit);
    expect(iife.gzip).toBeLessThanOrEqual(limit + 256); // the IIFE wrapper and its global add a little
  });

  it(`keeps the WebSocket-only client (pushwire/websocket) within ${WEBSOCKET_ONLY_CEILING} bytes min+gzip (budget ${WEBSOCKET_ONLY_BUDGET}), with nothing in it that only several transports need`, async () => {
    const { websocketOnly } = await measured();
    console.log(`bundle: WebSocket-only ${websocketOnly.gzip} B gz (budget ${WEBSOCKET_ONLY_BUDGET} B)`);
    expect(websocketOnly.gzip).toBeLessThanOrEqual(WEBSOCKET_ONLY_CEILING);
    const modules = bytesByModule(websocketOnly).map((entry) => entry.module);
    expect(
      modules.filter((module) => /\/(sse|long-polling|http-[a-z-]+|transport-memory|upgrade-probe)\.ts$|eventsource-parser/.test(module)),
    ).toEqual([]);
    expect(modules.some((module) => module.endsWith('/transports/websocket.ts'))).toBe(true);
  });

  it('keeps synced state and presence out of the main entry: they come with the pushwire/sync add-on only', async () => {
    const { full, withSync } = await measured();
    const addOn = /\/(synced-state|presence|json-patch)\.ts$/;
    expect(bytesByModule(full).filter(({ module }) => addOn.test(module))).toEqual([]);
    expect(bytesByModule(withSync).filter(({ module }) => addOn.test(module)).length).toBe(4);
  });

  it('leaves a transport out of the bundle entirely when the application does not import it', async () => {
    const { core, withTransport } = await measured();
    expect(withTransport.length).toBeGreaterThan(0);
    const coreModules = bytesByModule(core).map((entry) => entry.module);
    expect(coreModules.filter((module) => /\/transports\/(?!transport\.ts$)/.test(module))).toEqual([]);
    for (const bundle of withTransport) {
      expect(bytesByModule(bundle).some((entry) => entry.module.endsWith(`/transports/${bundle.name}.ts`))).toBe(true);
      expect(bundle.gzip).toBeGreaterThan(core.gzip);
    }
  });

  it('ships no private or protected client member under its full name (each ends in _, which the build shortens)', async () => {
    expect(unmangledPrivateMembers(root)).toEqual([]);
    // A member name left in a string (e.g. a field defined through a helper) would escape the renaming
    // while its uses are renamed: a broken build.
    const { full, iife } = await measured();
    for (const bundle of [full, iife]) expect(bundle.code).not.toMatch(/["'`][a-z][A-Za-z0-9]*_["'`]/);
  });
});
