// @vitest-environment node
// esbuild refuses to run under a DOM environment (its TextEncoder check), and this measures a build.
import { describe, expect, it } from 'vitest';
import { bytesByModule, clientSizes, FULL_CLIENT_BUDGET, type ClientSizes } from '../../bench/bundle.js';

const root = new URL('../..', import.meta.url).pathname;
let sizes: ClientSizes | undefined;
const measured = async (): Promise<ClientSizes> => (sizes ??= await clientSizes(root));

describe('client bundle size (esbuild minify, gzip -9)', () => {
  it(`keeps the full client, every transport included, within ${FULL_CLIENT_BUDGET} bytes min+gzip`, async () => {
    const { full, iife, core, withTransport } = await measured();
    console.log(
      `bundle: full ${full.gzip} B gz (IIFE ${iife.gzip} B), no transport ${core.gzip} B, ` +
        withTransport.map((t) => `+${t.name} ${t.gzip} B`).join(', ') +
        `; headroom ${FULL_CLIENT_BUDGET - full.gzip} B`,
    );
    expect(full.gzip).toBeLessThanOrEqual(FULL_CLIENT_BUDGET);
    expect(iife.gzip).toBeLessThanOrEqual(FULL_CLIENT_BUDGET);
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
});
