import { errorFields } from '../transport/port/messages.js';
import { makeLogger, type Logger, type LogLevel } from '../util/logger.js';

/** A log line as it crosses from a worker to the thread that owns the user's logger. @internal */
export interface LogLine {
  readonly t: 'log';
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly fields: unknown;
  readonly msg: string | undefined;
}

/**
 * A logger for a worker whose lines go to the supervisor's logger (the user's, in the
 * calling thread), filtered by `level` here first so that a quiet logger costs no
 * messages. An error field crosses as its code, message and stack (a structured clone
 * would drop its class); fields that cannot be cloned at all cross as text.
 * @internal
 */
export function forwardingLogger(post: (line: LogLine) => void, level: LogLevel): Logger {
  const send = (lvl: LogLine['level']) => (fields: object, msg?: string) => {
    const plain: Record<string, unknown> = { ...fields };
    for (const [k, v] of Object.entries(plain)) if (v instanceof Error) plain[k] = { ...errorFields(v), stack: v.stack };
    try {
      post({ t: 'log', level: lvl, fields: plain, msg });
    } catch {
      post({ t: 'log', level: lvl, fields: { text: safeText(plain) }, msg });
    }
  };
  return makeLogger({ debug: send('debug'), info: send('info'), warn: send('warn'), error: send('error') }, level);
}

function safeText(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x));
  } catch {
    return String(v);
  }
}
