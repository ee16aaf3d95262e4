/**
 * Logging: a plain interface that `console` and pino both satisfy, levels, and the
 * default a library owes its users (warnings and errors, on `console`).
 *
 * Tributary always calls a logger as `logger.level(fields, message)`: an object of
 * fields first, then a message. That is pino's own form (the fields become JSON
 * properties, the message `msg`), and `console` prints the fields and then the message.
 * Fields use Kafka's nouns (`topic`, `partition`, `nodeId`, `groupId`), and an error
 * goes under `err` (pino's serializer prints its stack).
 */

/**
 * Where Tributary's log lines go: `console`, a pino logger, or anything with these four
 * methods. Each is called with an object of fields and a message.
 *
 * @example
 * ```ts
 * import { Cluster, type Logger } from 'tributary-log';
 *
 * // console satisfies Logger as it is; so does a pino logger (`pino()`).
 * const lines: string[] = [];
 * const logger: Logger = {
 *   debug: () => {},
 *   info: (fields, msg) => lines.push(`INFO ${String(msg)} ${JSON.stringify(fields)}`),
 *   warn: (fields, msg) => lines.push(`WARN ${String(msg)} ${JSON.stringify(fields)}`),
 *   error: (fields, msg) => lines.push(`ERROR ${String(msg)} ${JSON.stringify(fields)}`),
 * };
 * await using cluster = await Cluster.start({ logger, logLevel: 'info' });
 * console.log(lines.some((l) => l.includes('cluster started'))); // true
 * ```
 */
export interface Logger {
  debug(fields: object, msg?: string): void;
  info(fields: object, msg?: string): void;
  warn(fields: object, msg?: string): void;
  error(fields: object, msg?: string): void;
}

/**
 * The least severe level that is logged: `'debug'`, `'info'`, `'warn'`, `'error'`, or
 * `'silent'` for nothing at all.
 *
 * @example
 * ```ts
 * import { Cluster, type LogLevel } from 'tributary-log';
 *
 * const logLevel: LogLevel = process.env.NODE_ENV === 'test' ? 'silent' : 'info';
 * await using cluster = await Cluster.start({ logLevel });
 * ```
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
const noop = (): void => {};

/** A logger that drops everything. @internal */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

/** Whether `value` has the four methods of a `Logger`. @internal */
export function isLogger(value: unknown): value is Logger {
  return typeof value === 'object' && value !== null && ['debug', 'info', 'warn', 'error'].every((m) => typeof (value as Record<string, unknown>)[m] === 'function');
}

/**
 * The logger Tributary writes to, from the user's options: their `logger` (default
 * `console`) behind a level filter. The level defaults to `'debug'` when a logger is
 * given (it filters by its own level, as pino does) and to `'warn'` on `console`:
 * a library prints nothing in normal operation, but a failure it survives (a commit
 * that did not happen, a node fenced, records cut from a damaged log) is never silent.
 * Methods below the level are no-ops, so a debug line costs a call and nothing else.
 * @internal
 */
export function makeLogger(logger: Logger | undefined, level: LogLevel | undefined, bindings: object = {}): Logger {
  const target = logger ?? console;
  const min = rank[level ?? (logger === undefined ? 'warn' : 'debug')];
  const hasBindings = Object.keys(bindings).length > 0;
  const method = (name: Exclude<LogLevel, 'silent'>): ((fields: object, msg?: string) => void) => {
    if (rank[name] < min) return noop;
    if (target === console) {
      // console prints its arguments in order: the message first reads better.
      const print = console[name].bind(console);
      return (fields, msg) => print(`[tributary] ${msg ?? ''}`, hasBindings ? { ...bindings, ...fields } : fields);
    }
    const fn = target[name].bind(target) as (fields: object, msg?: string) => void;
    return hasBindings ? (fields, msg) => fn({ ...bindings, ...fields }, msg) : (fields, msg) => fn(fields, msg);
  };
  return { debug: method('debug'), info: method('info'), warn: method('warn'), error: method('error') };
}

/** A child logger: the same target and level, with `bindings` added to every line's fields. @internal */
export function childLogger(parent: Logger, bindings: object): Logger {
  const wrap = (name: Exclude<LogLevel, 'silent'>): ((fields: object, msg?: string) => void) => {
    const fn = parent[name];
    return fn === noop ? noop : (fields, msg) => fn({ ...bindings, ...fields }, msg);
  };
  return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
}

/**
 * The least severe level `logger` writes, as {@link makeLogger} and {@link childLogger}
 * built it (a level below it is the shared no-op): `'silent'` when it writes nothing.
 * A logger of the user's own (pino, console) writes every level. @internal
 */
export function levelOf(logger: Logger): LogLevel {
  for (const name of ['debug', 'info', 'warn', 'error'] as const) if (logger[name] !== noop) return name;
  return 'silent';
}

/**
 * A logger whose level can change while it is in use (a broker's loggers, which
 * IncrementalAlterConfigs of a BROKER_LOGGER sets): `base`'s methods at or above `level`,
 * no-ops below it. Never writes a level `base` drops. @internal
 */
export class LevelledLogger implements Logger {
  debug: Logger['debug'] = noop;
  info: Logger['info'] = noop;
  warn: Logger['warn'] = noop;
  error: Logger['error'] = noop;
  private current: LogLevel = 'silent';

  constructor(
    private readonly base: Logger,
    level: LogLevel = levelOf(base),
  ) {
    this.setLevel(level);
  }

  get level(): LogLevel {
    return this.current;
  }

  setLevel(level: LogLevel): void {
    this.current = level;
    const min = rank[level];
    for (const name of ['debug', 'info', 'warn', 'error'] as const) this[name] = rank[name] < min ? noop : this.base[name];
  }
}
