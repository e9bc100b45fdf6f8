// @vitest-environment node
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadServeConfig } from '../../../src/cli/config.js';

function configFile(content: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'pushwire-config-')), 'pushwire.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

describe('pushwire serve settings', () => {
  it('has defaults for a server that runs with no settings at all', () => {
    expect(loadServeConfig([], {})).toEqual({
      port: 3000,
      host: '0.0.0.0',
      path: '/pushwire',
      history: { size: 1000, ttl: 600_000 },
      trustProxy: false,
      metrics: false,
      logLevel: 'info',
      shutdownGrace: 2000,
    });
  });

  it('takes a flag over an environment variable over the config file, key by key', () => {
    const file = configFile({ port: 1, host: '127.0.0.2', history: { size: 5, ttl: 7 }, limits: { maxSessions: 9 } });
    const config = loadServeConfig(['--config', file, '--port=3'], { PORT: '2', PUSHWIRE_HISTORY_SIZE: '6' });
    expect(config).toMatchObject({ port: 3, host: '127.0.0.2', history: { size: 6, ttl: 7 }, limits: { maxSessions: 9 } });
  });

  it('reads the config file named by PUSHWIRE_CONFIG, and lists of origins from flags, environment and file alike', () => {
    const file = configFile({ allowedOrigins: ['https://a.example'] });
    expect(loadServeConfig([], { PUSHWIRE_CONFIG: file }).allowedOrigins).toEqual(['https://a.example']);
    expect(loadServeConfig([], { PUSHWIRE_ALLOWED_ORIGINS: 'https://a.example, http://b.example:8080' }).allowedOrigins).toEqual([
      'https://a.example',
      'http://b.example:8080',
    ]);
    expect(loadServeConfig(['--allowed-origins', '*'], {}).allowedOrigins).toBe('*');
  });

  it('takes boolean flags alone or with a value', () => {
    expect(loadServeConfig(['--metrics', '--trust-proxy=false'], { PUSHWIRE_TRUST_PROXY: 'true' })).toMatchObject({
      metrics: true,
      trustProxy: false,
    });
  });

  it('refuses unknown keys, wrong types and values out of range with a message naming the source', () => {
    const refuse = (args: string[], env: Record<string, string>, message: string) => {
      expect(() => loadServeConfig(args, env)).toThrow(ConfigError);
      expect(() => loadServeConfig(args, env)).toThrow(message);
    };
    refuse(['--config', configFile({ prot: 80 })], {}, 'unknown key(s) prot');
    refuse(['--config', configFile({ history: { size: '10' } })], {}, 'config key history.size must be a number');
    refuse(['--config', configFile('{ not json')], {}, 'config file');
    refuse(['--config', configFile([1])], {}, 'must hold a JSON object');
    refuse([], { PORT: '-1' }, 'PORT must be a whole number');
    refuse([], { PORT: '3000abc' }, 'PORT must be a whole number');
    refuse(['--path', 'pushwire'], {}, '--path must start with "/"');
    refuse(['--log-level', 'loud'], {}, '--log-level must be one of debug, info, warn, error');
    refuse(['--metrics=maybe'], {}, '--metrics must be true or false');
    refuse(['--allowed-origins', 'https://a.example/path'], {}, 'is not an origin');
    refuse(['--port'], {}, 'option --port needs a value');
  });

  it('reads only the settings it is asked for (pushwire demo: port and host)', () => {
    expect(loadServeConfig(['--port', '8080'], { PUSHWIRE_PATH: '/elsewhere' }, ['port', 'host'])).toMatchObject({
      port: 8080,
      path: '/pushwire',
    });
    expect(() => loadServeConfig(['--metrics'], {}, ['port', 'host'])).toThrow('unknown option "--metrics"');
  });
});
