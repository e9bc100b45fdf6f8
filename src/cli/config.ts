import { readFileSync } from 'node:fs';

/**
 * The settings of `pushwire serve`, from three sources: flags beat environment variables, which beat
 * the config file (`--config FILE`, `PUSHWIRE_CONFIG`), which beats the defaults. Each setting is one
 * row of SETTINGS: to add one, add a row and a field to ServeConfig (nested keys with a dot, like
 * `history.size`), then use it in serve.ts.
 */
export interface ServeConfig {
  port: number;
  host: string;
  path: string;
  /** Page origins allowed to connect: a list, or `*`. Unset: same origin only (and non-browser clients). */
  allowedOrigins?: string[] | '*';
  /** Set: a Redis broker (several nodes share channels and sessions). Unset: in memory. */
  redisUrl?: string;
  redisPrefix?: string;
  history: { size: number; ttl: number };
  limits?: {
    maxSessions?: number;
    maxSessionsPerAddress?: number;
    maxSubscriptions?: number;
    framesPerSecond?: number;
    frameBurst?: number;
  };
  maxPayload?: number;
  sessionTtl?: number;
  trustProxy: boolean;
  metrics: boolean;
  logLevel: LogLevel;
  /** On SIGTERM, the longest wait for sockets to flush their last frames, ms. */
  shutdownGrace: number;
  /** Set: the HTTP API at {path}/api, with these keys (docs/HTTP-API.md). */
  apiKeys?: string[];
  /** How long an Idempotency-Key is remembered, ms. */
  idempotencyTtl?: number;
  /** Set: clients authenticate with JWTs (docs/JWT-AUTH.md). One of secret, publicKeyFile, jwksUrl. */
  jwt?: { secret?: string; publicKeyFile?: string; jwksUrl?: string; issuer?: string; audience?: string };
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

type Kind = 'port' | 'count' | 'string' | 'list' | 'path' | 'origins' | 'boolean' | 'log-level';

interface Setting {
  /** Key in ServeConfig and in the config file; nested with a dot. */
  key: string;
  flag: string;
  env: string[];
  kind: Kind;
  help: string;
  default?: unknown;
}

export const SETTINGS: readonly Setting[] = [
  {
    key: 'port',
    flag: '--port',
    env: ['PUSHWIRE_PORT', 'PORT'],
    kind: 'port',
    default: 3000,
    help: 'port to listen on; 0 picks a free one (default 3000)',
  },
  { key: 'host', flag: '--host', env: ['PUSHWIRE_HOST'], kind: 'string', default: '0.0.0.0', help: 'interface to bind (default 0.0.0.0)' },
  {
    key: 'path',
    flag: '--path',
    env: ['PUSHWIRE_PATH'],
    kind: 'path',
    default: '/pushwire',
    help: 'URL path of the endpoints (default /pushwire)',
  },
  {
    key: 'allowedOrigins',
    flag: '--allowed-origins',
    env: ['PUSHWIRE_ALLOWED_ORIGINS'],
    kind: 'origins',
    help: 'page origins allowed to connect, comma-separated, or * (default: same origin)',
  },
  {
    key: 'redisUrl',
    flag: '--redis-url',
    env: ['PUSHWIRE_REDIS_URL', 'REDIS_URL'],
    kind: 'string',
    help: 'Redis broker for several nodes (needs ioredis installed)',
  },
  {
    key: 'redisPrefix',
    flag: '--redis-prefix',
    env: ['PUSHWIRE_REDIS_PREFIX'],
    kind: 'string',
    help: 'prefix of every Redis key (default pw:)',
  },
  {
    key: 'history.size',
    flag: '--history-size',
    env: ['PUSHWIRE_HISTORY_SIZE'],
    kind: 'count',
    default: 1000,
    help: 'messages kept per channel for replay (default 1000)',
  },
  {
    key: 'history.ttl',
    flag: '--history-ttl',
    env: ['PUSHWIRE_HISTORY_TTL'],
    kind: 'count',
    default: 600_000,
    help: 'how long a message is kept for replay, ms (default 600000)',
  },
  {
    key: 'limits.maxSessions',
    flag: '--max-sessions',
    env: ['PUSHWIRE_MAX_SESSIONS'],
    kind: 'count',
    help: 'sessions in total (default 50000)',
  },
  {
    key: 'limits.maxSessionsPerAddress',
    flag: '--max-sessions-per-address',
    env: ['PUSHWIRE_MAX_SESSIONS_PER_ADDRESS'],
    kind: 'count',
    help: 'sessions from one client address (default 1000)',
  },
  {
    key: 'limits.maxSubscriptions',
    flag: '--max-subscriptions',
    env: ['PUSHWIRE_MAX_SUBSCRIPTIONS'],
    kind: 'count',
    help: 'channels per session (default 1000)',
  },
  {
    key: 'limits.framesPerSecond',
    flag: '--frames-per-second',
    env: ['PUSHWIRE_FRAMES_PER_SECOND'],
    kind: 'count',
    help: 'frames a session may send per second (default 1000)',
  },
  {
    key: 'limits.frameBurst',
    flag: '--frame-burst',
    env: ['PUSHWIRE_FRAME_BURST'],
    kind: 'count',
    help: 'burst above that rate (default 5000)',
  },
  {
    key: 'maxPayload',
    flag: '--max-payload',
    env: ['PUSHWIRE_MAX_PAYLOAD'],
    kind: 'count',
    help: 'largest client frame, bytes (default 65536)',
  },
  {
    key: 'sessionTtl',
    flag: '--session-ttl',
    env: ['PUSHWIRE_SESSION_TTL'],
    kind: 'count',
    help: 'how long a session waits for its client to come back, ms (default 60000)',
  },
  {
    key: 'trustProxy',
    flag: '--trust-proxy',
    env: ['PUSHWIRE_TRUST_PROXY'],
    kind: 'boolean',
    default: false,
    help: 'client address from X-Forwarded-For (behind your proxy only)',
  },
  {
    key: 'metrics',
    flag: '--metrics',
    env: ['PUSHWIRE_METRICS'],
    kind: 'boolean',
    default: false,
    help: 'serve Prometheus metrics at {path}/metrics',
  },
  {
    key: 'logLevel',
    flag: '--log-level',
    env: ['PUSHWIRE_LOG_LEVEL'],
    kind: 'log-level',
    default: 'info',
    help: 'debug, info, warn or error (default info)',
  },
  {
    key: 'shutdownGrace',
    flag: '--shutdown-grace',
    env: ['PUSHWIRE_SHUTDOWN_GRACE'],
    kind: 'count',
    default: 2000,
    help: 'on SIGTERM, longest wait for sockets to flush, ms (default 2000)',
  },
  {
    key: 'apiKeys',
    flag: '--api-keys',
    env: ['PUSHWIRE_API_KEYS'],
    kind: 'list',
    help: 'turns on the HTTP API at {path}/api for your backends: its keys, comma-separated, 16+ characters each (docs/HTTP-API.md)',
  },
  {
    key: 'idempotencyTtl',
    flag: '--idempotency-ttl',
    env: ['PUSHWIRE_IDEMPOTENCY_TTL'],
    kind: 'count',
    help: 'how long an Idempotency-Key is remembered, ms (default 86400000)',
  },
  {
    key: 'jwt.secret',
    flag: '--jwt-secret',
    env: ['PUSHWIRE_JWT_SECRET'],
    kind: 'string',
    help: 'clients authenticate with HS256/384/512 JWTs of this secret, 32+ bytes (docs/JWT-AUTH.md)',
  },
  {
    key: 'jwt.publicKeyFile',
    flag: '--jwt-public-key-file',
    env: ['PUSHWIRE_JWT_PUBLIC_KEY_FILE'],
    kind: 'string',
    help: '… or JWTs signed for this PEM public key (RS*, PS*, ES*, EdDSA)',
  },
  {
    key: 'jwt.jwksUrl',
    flag: '--jwt-jwks-url',
    env: ['PUSHWIRE_JWT_JWKS_URL'],
    kind: 'string',
    help: "… or JWTs signed for a key of this JWKS URL (your identity provider's)",
  },
  { key: 'jwt.issuer', flag: '--jwt-issuer', env: ['PUSHWIRE_JWT_ISSUER'], kind: 'string', help: 'required iss claim of the JWTs' },
  { key: 'jwt.audience', flag: '--jwt-audience', env: ['PUSHWIRE_JWT_AUDIENCE'], kind: 'string', help: 'required aud claim of the JWTs' },
];

/** A setting given a value it can't take, an unknown flag or key, an unreadable config file. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Reads `pushwire serve`'s settings from its arguments, the environment and the config file they name.
 * `only` restricts the settings taken (the others keep their defaults, and their flags are unknown).
 */
export function loadServeConfig(args: readonly string[], env: NodeJS.ProcessEnv, only?: readonly string[]): ServeConfig {
  const settings = only ? SETTINGS.filter((setting) => only.includes(setting.key)) : SETTINGS;
  const flags = parseFlags(args, settings);
  const configFile = flags.get('--config') ?? env.PUSHWIRE_CONFIG;
  const file = configFile === undefined ? {} : readConfigFile(configFile);
  const config: Record<string, unknown> = {};
  for (const setting of SETTINGS) {
    const value = settings.includes(setting) ? settingValue(setting, flags, env, file) : setting.default;
    if (value !== undefined) setPath(config, setting.key, value);
  }
  // Every key of ServeConfig is a row of SETTINGS, and each row's kind checked its value's type.
  return config as unknown as ServeConfig;
}

function settingValue(setting: Setting, flags: Map<string, string>, env: NodeJS.ProcessEnv, file: Record<string, unknown>): unknown {
  const flag = flags.get(setting.flag);
  if (flag !== undefined) return parseText(setting, flag, setting.flag);
  for (const name of setting.env) {
    const text = env[name];
    if (text !== undefined && text !== '') return parseText(setting, text, name);
  }
  const fromFile = getPath(file, setting.key);
  if (fromFile !== undefined) return checkFileValue(setting, fromFile);
  return setting.default;
}

/** `--name value`, `--name=value`, and a boolean flag alone (`--metrics`). */
function parseFlags(args: readonly string[], settings: readonly Setting[]): Map<string, string> {
  const known = new Map(settings.map((setting) => [setting.flag, setting]));
  const flags = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const equals = arg.indexOf('=');
    const name = equals === -1 ? arg : arg.slice(0, equals);
    const setting = known.get(name);
    if (name !== '--config' && !setting) throw new ConfigError(`unknown option ${JSON.stringify(arg)} (see --help)`);
    if (equals !== -1) {
      flags.set(name, arg.slice(equals + 1));
    } else if (setting?.kind === 'boolean') {
      flags.set(name, 'true');
    } else {
      const value = args[i + 1];
      if (value === undefined) throw new ConfigError(`option ${name} needs a value`);
      flags.set(name, value);
      i++;
    }
  }
  return flags;
}

function parseText(setting: Setting, text: string, source: string): unknown {
  switch (setting.kind) {
    case 'port':
    case 'count':
      return checkNumber(setting, /^\d+$/.test(text.trim()) ? Number(text) : NaN, source);
    case 'boolean':
      if (['true', '1', 'yes'].includes(text)) return true;
      if (['false', '0', 'no'].includes(text)) return false;
      throw new ConfigError(`${source} must be true or false, not ${JSON.stringify(text)}`);
    case 'list':
      return checkList(text.split(','), source);
    case 'origins':
      return text.trim() === '*'
        ? '*'
        : checkOrigins(
            text
              .split(',')
              .map((origin) => origin.trim())
              .filter((origin) => origin !== ''),
            source,
          );
    default:
      return checkString(setting, text, source);
  }
}

function checkFileValue(setting: Setting, value: unknown): unknown {
  const source = `config key ${setting.key}`;
  switch (setting.kind) {
    case 'port':
    case 'count':
      if (typeof value !== 'number') throw new ConfigError(`${source} must be a number`);
      return checkNumber(setting, value, source);
    case 'boolean':
      if (typeof value !== 'boolean') throw new ConfigError(`${source} must be true or false`);
      return value;
    case 'list':
      if (!Array.isArray(value) || !value.every((item) => typeof item === 'string'))
        throw new ConfigError(`${source} must be a list of strings`);
      return checkList(value, source);
    case 'origins':
      if (value === '*') return value;
      if (!Array.isArray(value) || !value.every((origin) => typeof origin === 'string'))
        throw new ConfigError(`${source} must be "*" or a list of origins`);
      return checkOrigins(value, source);
    default:
      if (typeof value !== 'string') throw new ConfigError(`${source} must be a string`);
      return checkString(setting, value, source);
  }
}

function checkNumber(setting: Setting, value: number, source: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new ConfigError(`${source} must be a whole number ≥ 0`);
  if (setting.kind === 'port' && value > 65535) throw new ConfigError(`${source} must be a port number (0–65535)`);
  return value;
}

function checkString(setting: Setting, value: string, source: string): string {
  if (setting.kind === 'path' && !value.startsWith('/')) throw new ConfigError(`${source} must start with "/"`);
  if (setting.kind === 'log-level' && !(LOG_LEVELS as readonly string[]).includes(value)) {
    throw new ConfigError(`${source} must be one of ${LOG_LEVELS.join(', ')}`);
  }
  return value;
}

function checkList(items: string[], source: string): string[] {
  const list = items.map((item) => item.trim()).filter((item) => item !== '');
  if (list.length === 0) throw new ConfigError(`${source} must list at least one value`);
  return list;
}

/** An origin as browsers send it: scheme, host and port, nothing after. */
function checkOrigins(origins: string[], source: string): string[] {
  for (const origin of origins) {
    let valid = false;
    try {
      valid = new URL(origin).origin === origin;
    } catch {
      valid = false;
    }
    if (!valid) throw new ConfigError(`${source}: ${JSON.stringify(origin)} is not an origin (like https://app.example.com)`);
  }
  return origins;
}

function readConfigFile(file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`config file ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ConfigError(`config file ${file} must hold a JSON object`);
  const record = parsed as Record<string, unknown>;
  const unknown = fileKeys(record).filter((key) => !SETTINGS.some((setting) => setting.key === key));
  if (unknown.length > 0) throw new ConfigError(`config file ${file}: unknown key(s) ${unknown.join(', ')}`);
  return record;
}

/** The dotted keys of a config file's values (an object is a group of keys, an array a value). */
function fileKeys(record: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(record).flatMap(([key, value]) =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? fileKeys(value as Record<string, unknown>, `${prefix}${key}.`)
      : [`${prefix}${key}`],
  );
}

function getPath(record: Record<string, unknown>, key: string): unknown {
  let current: unknown = record;
  for (const part of key.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function setPath(record: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let current = record;
  for (const part of parts.slice(0, -1)) {
    current[part] ??= {};
    current = current[part] as Record<string, unknown>;
  }
  current[parts[parts.length - 1]!] = value;
}

const PLACEHOLDERS: Record<Kind, string> = {
  port: 'N',
  count: 'N',
  string: 'TEXT',
  list: 'LIST',
  path: 'PATH',
  origins: 'LIST',
  boolean: '',
  'log-level': 'LEVEL',
};

/** The settings as `pushwire serve --help` lists them (after the --config line). */
export function settingsHelp(): string {
  const rows = [
    {
      label: '--config FILE',
      help: 'JSON file with any of the keys below, e.g. {"port": 8080, "history": {"size": 100}}',
      where: 'env PUSHWIRE_CONFIG',
    },
    ...SETTINGS.map((setting) => ({
      label: `${setting.flag} ${PLACEHOLDERS[setting.kind]}`.trim(),
      help: setting.help,
      where: `env ${setting.env.join(', ')}; config "${setting.key}"`,
    })),
  ];
  const width = Math.max(...rows.map((row) => row.label.length)) + 2;
  return rows.map((row) => `  ${row.label.padEnd(width)}${row.help}\n  ${''.padEnd(width)}${row.where}`).join('\n');
}
