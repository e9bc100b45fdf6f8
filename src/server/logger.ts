/** A structured logger: a message and a flat bag of fields. Plug in pino, winston or your own. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const noop = (): void => {};

/** Default: warnings and errors as one JSON line each on stderr; debug and info are dropped. */
export const defaultLogger: Logger = {
  debug: noop,
  info: noop,
  warn: (message, fields) => console.warn(JSON.stringify({ level: 'warn', message, ...fields })),
  error: (message, fields) => console.error(JSON.stringify({ level: 'error', message, ...fields })),
};

export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };
