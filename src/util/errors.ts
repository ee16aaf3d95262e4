import { type ErrorCode, errorCodes } from './error-codes.js';

/**
 * Context a {@link TributaryError} may carry, to say where it happened.
 *
 * @example
 * ```ts
 * import { TributaryError, type TributaryErrorContext } from 'tributary-log';
 *
 * const context: TributaryErrorContext = { topic: 'orders', option: 'retention.ms' };
 * const err = new TributaryError('INVALID_CONFIG', 'retention.ms must be -1 or more, got -5', context);
 * console.log(err.topic, err.option); // orders retention.ms
 * ```
 */
export interface TributaryErrorContext {
  /** The topic the operation concerned. */
  readonly topic?: string;
  /** The partition the operation concerned. */
  readonly partition?: number;
  /** The option or argument that was invalid, for `INVALID_ARGUMENT` and `INVALID_CONFIG`. */
  readonly option?: string;
  /** What caused this error, when it wraps another. */
  readonly cause?: unknown;
}

/** Marks a `TributaryError` from any copy of the library in this process (see `Symbol.hasInstance` below). */
const brand = Symbol.for('tributary-log.TributaryError');

/**
 * The one error class for every expected failure in Tributary: a bad argument, an unknown
 * topic, a record too large, a leader that moved. Its `code` is one of Kafka's error
 * names (see `errorCodes`), so code that handles Kafka errors handles these the same way,
 * and `retriable` says whether retrying the same call may succeed.
 *
 * Bugs are not `TributaryError`s: they are `AssertionError`s, and should never be caught.
 *
 * @example
 * ```ts
 * import { TributaryError } from 'tributary-log';
 *
 * try {
 *   throw new TributaryError('INVALID_TOPIC_EXCEPTION', 'topic name "a/b" has a character outside [a-zA-Z0-9._-]', { topic: 'a/b' });
 * } catch (err) {
 *   if (err instanceof TributaryError && err.code === 'INVALID_TOPIC_EXCEPTION') {
 *     console.log(err.retriable); // false
 *   }
 * }
 * ```
 */
export class TributaryError extends Error {
  /**
   * `err instanceof TributaryError` holds for an error made by any copy of this class: a
   * process that loads both the ES module and the CommonJS build of `tributary-log` (an ES
   * module application with a CommonJS dependency that uses it too) has two copies, and an
   * error from one must still pass the other's check. Every instance carries a brand
   * registered process-wide with `Symbol.for`; the check looks for it.
   */
  static override [Symbol.hasInstance](this: abstract new (...args: never[]) => unknown, value: unknown): boolean {
    // A subclass (an application's own error type) inherits this method: for it, the
    // ordinary prototype check, or every TributaryError would pass as one of its kind.
    if (this !== TributaryError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }

  /** Always `'TributaryError'`; tell errors apart by `code`. */
  override name = 'TributaryError';
  /** Kafka's name for the error, such as `'MESSAGE_TOO_LARGE'`. */
  readonly code: ErrorCode;
  /** Kafka's numeric code for the error (Tributary-only codes are below -100). */
  readonly errorCode: number;
  /** Whether retrying the same operation may succeed. */
  readonly retriable: boolean;
  /** The topic concerned, when there is one. */
  readonly topic: string | undefined;
  /** The partition concerned, when there is one. */
  readonly partition: number | undefined;
  /** The option or argument that was invalid, when that is the error. */
  readonly option: string | undefined;

  constructor(code: ErrorCode, message?: string, context: TributaryErrorContext = {}) {
    const info = errorCodes[code];
    super(message ?? info.message, context.cause === undefined ? undefined : { cause: context.cause });
    this.code = code;
    this.errorCode = info.code;
    this.retriable = info.retriable;
    this.topic = context.topic;
    this.partition = context.partition;
    this.option = context.option;
  }
}
Object.defineProperty(TributaryError.prototype, brand, { value: true });

/**
 * Whether `err` is a `TributaryError`, optionally with the given code.
 *
 * @example
 * ```ts
 * import { Cluster, isTributaryError } from 'tributary-log';
 *
 * await using cluster = await Cluster.start();
 * const admin = cluster.admin();
 * await admin.createTopics([{ name: 'orders' }]);
 * try {
 *   await admin.createTopics([{ name: 'orders' }]);
 * } catch (err) {
 *   if (!isTributaryError(err, 'TOPIC_ALREADY_EXISTS')) throw err;
 *   console.log(err.topic); // orders
 * }
 * ```
 */
export function isTributaryError(err: unknown, code?: ErrorCode): err is TributaryError {
  return err instanceof TributaryError && (code === undefined || err.code === code);
}
