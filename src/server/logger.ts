/**
 * A structured logger: a message and a flat bag of fields. The `logger` option takes one of these, or
 * a pino or winston logger as it is (see `adaptLogger`).
 */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export type LogLevel = keyof Logger;

const noop = (): void => {};

/** Default: warnings and errors as one JSON line each on stderr; debug and info are dropped. */
export const defaultLogger: Logger = {
  debug: noop,
  info: noop,
  warn: (message, fields) => console.warn(JSON.stringify({ level: 'warn', message, ...fields })),
  error: (message, fields) => console.error(JSON.stringify({ level: 'error', message, ...fields })),
};

export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

type LogMethod = (...args: unknown[]) => void;

/** pino marks its loggers (children included) with this registered symbol; its methods take `(fields, message)`. */
const PINO_SERIALIZERS = Symbol.for('pino.serializers');

/** Levels some loggers name otherwise (winston with syslog levels has `warning`, not `warn`). */
const OTHER_NAMES: Record<LogLevel, string> = { debug: 'debug', info: 'info', warn: 'warning', error: 'error' };

/**
 * The logger the server writes to, from the `logger` option (default: `defaultLogger`):
 * - pino: its methods take the fields first (`logger.info(fields, message)`); called the other way it
 *   would take the fields for a format argument and drop them. Each call is turned around.
 * - winston: `logger.info(message, fields)` already merges the fields into the entry; a level the
 *   logger lacks goes to the level of its other name (`warning` for `warn`, as in syslog levels) or
 *   to `log(level, message, fields)`.
 * - anything else with the four methods is used as it is.
 */
export function adaptLogger(given: Logger | undefined): Logger {
  if (given === undefined) return defaultLogger;
  const target = given as unknown as Record<string | symbol, unknown>;
  const fieldsFirst = PINO_SERIALIZERS in target;
  const levels: LogLevel[] = ['debug', 'info', 'warn', 'error'];
  if (!fieldsFirst && levels.every((level) => typeof target[level] === 'function')) return given;
  const method = (level: LogLevel): ((message: string, fields?: Record<string, unknown>) => void) => {
    const name = methodName(target, level);
    if (name === null) {
      if (typeof target.log !== 'function') return noop;
      return (message, fields) => (target.log as LogMethod).call(given, level, message, fields ?? {});
    }
    // Looked up on each call and called on the logger: pino replaces a level's method when its level changes, and both use `this`.
    if (fieldsFirst) return (message, fields) => (target[name] as LogMethod).call(given, fields ?? {}, message);
    return (message, fields) => (target[name] as LogMethod).call(given, message, fields ?? {});
  };
  return { debug: method('debug'), info: method('info'), warn: method('warn'), error: method('error') };
}

/** The logger's method for `level`: the level's own name, else its other name; null if it has neither. */
function methodName(target: Record<string, unknown>, level: LogLevel): string | null {
  if (typeof target[level] === 'function') return level;
  if (typeof target[OTHER_NAMES[level]] === 'function') return OTHER_NAMES[level];
  return null;
}
