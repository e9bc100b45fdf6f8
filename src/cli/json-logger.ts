import type { Logger } from '../server/logger.js';
import { LOG_LEVELS, type LogLevel } from './config.js';

/**
 * A Logger writing one JSON object per line ({time, level, message, …fields}) for log collectors;
 * entries below `level` are dropped.
 */
export function jsonLogger(level: LogLevel, write: (line: string) => void = (line) => process.stdout.write(line)): Logger {
  const lowest = LOG_LEVELS.indexOf(level);
  const entry = (entryLevel: LogLevel) =>
    LOG_LEVELS.indexOf(entryLevel) < lowest
      ? () => {}
      : (message: string, fields?: Record<string, unknown>) =>
          write(`${JSON.stringify({ time: new Date().toISOString(), level: entryLevel, message, ...fields })}\n`);
  return { debug: entry('debug'), info: entry('info'), warn: entry('warn'), error: entry('error') };
}
