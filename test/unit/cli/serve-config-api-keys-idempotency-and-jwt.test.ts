// @vitest-environment node
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadServeConfig } from '../../../src/cli/config.js';
import { serverOptions } from '../../../src/cli/serve.js';
import { silentLogger } from '../../../src/server/logger.js';

const SECRET = 'a-serve-secret-of-at-least-32-bytes!!';

describe('pushwire serve settings of the HTTP API and JWT auth', () => {
  it('reads API keys as a comma-separated flag or variable, or a list in the config file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'pushwire-config-')), 'pushwire.json');
    writeFileSync(file, JSON.stringify({ apiKeys: ['from-file-0123456789'], jwt: { secret: SECRET, issuer: 'https://id.example' } }));

    expect(loadServeConfig(['--api-keys', 'key-one-0123456789, key-two-0123456789'], {}).apiKeys).toEqual([
      'key-one-0123456789',
      'key-two-0123456789',
    ]);
    expect(loadServeConfig([], { PUSHWIRE_API_KEYS: 'env-key-0123456789' }).apiKeys).toEqual(['env-key-0123456789']);
    expect(loadServeConfig(['--config', file], {})).toMatchObject({
      apiKeys: ['from-file-0123456789'],
      jwt: { secret: SECRET, issuer: 'https://id.example' },
    });
    expect(() => loadServeConfig(['--api-keys', ' , '], {})).toThrow(ConfigError);
  });

  it('turns the settings into server options: httpApi, idempotency and the jwtAuth hooks', () => {
    const options = serverOptions(
      loadServeConfig(['--idempotency-ttl', '60000'], { PUSHWIRE_API_KEYS: 'k-0123456789abcdef', PUSHWIRE_JWT_SECRET: SECRET }),
      silentLogger,
    );
    expect(options.httpApi).toEqual({ keys: ['k-0123456789abcdef'] });
    expect(options.idempotency).toEqual({ ttl: 60_000 });
    expect([typeof options.authorize, typeof options.canSubscribe, typeof options.canPublish]).toEqual([
      'function',
      'function',
      'function',
    ]);
    const open = serverOptions(loadServeConfig([], {}), silentLogger);
    expect([open.httpApi, open.authorize]).toEqual([undefined, undefined]);
  });

  it('refuses JWT settings that cannot work, naming them: a short secret, two keys, an unreadable key file', () => {
    const options = (env: Record<string, string>) => () => serverOptions(loadServeConfig([], env), silentLogger);
    expect(options({ PUSHWIRE_JWT_SECRET: 'short' })).toThrow(/JWT settings: .*at least 32 bytes/);
    expect(options({ PUSHWIRE_JWT_SECRET: SECRET, PUSHWIRE_JWT_JWKS_URL: 'https://id.example/jwks' })).toThrow(/exactly one of/);
    expect(options({ PUSHWIRE_JWT_PUBLIC_KEY_FILE: '/no/such/key.pem' })).toThrow(/jwt.publicKeyFile \/no\/such\/key.pem: .*ENOENT/);
    expect(options({ PUSHWIRE_JWT_ISSUER: 'https://id.example' })).toThrow(ConfigError);
  });
});
