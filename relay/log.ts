// The relay's few log lines: the start line and errors, as text for people or
// one JSON object per line for log shippers. Callers pass only fields that
// identify nobody (never a payload, room id, peer id or client address).
import type { LogFormat } from './config.ts';

/** Values safe to log: counts, codes, versions, the relay's own settings. */
export type LogFields = Record<string, string | number | boolean>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

type Level = 'info' | 'error';

export function createLogger(format: LogFormat, write = writeLine): Logger {
  const line =
    format === 'json'
      ? (level: Level, message: string, fields: LogFields = {}) =>
          JSON.stringify({ level, time: new Date().toISOString(), message, ...fields })
      : (level: Level, message: string, fields: LogFields = {}) =>
          (level === 'error' ? 'onetimechat relay: ' : '') + message + textFields(fields);
  return {
    info: (message, fields) => write('info', line('info', message, fields)),
    error: (message, fields) => write('error', line('error', message, fields)),
  };
}

function textFields(fields: LogFields): string {
  const pairs = Object.entries(fields).map(([name, value]) => `${name}=${String(value)}`);
  return pairs.length > 0 ? ` (${pairs.join(', ')})` : '';
}

function writeLine(level: Level, line: string): void {
  if (level === 'error') console.error(line);
  else console.log(line);
}
