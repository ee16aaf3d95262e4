/**
 * Thrown by {@link assert} when an invariant that the code relies on does not hold.
 * An `AssertionError` is always a bug in Tributary, never an operating condition: nobody
 * catches it, and assertions stay on in production (TigerBeetle's rule), because a log
 * that keeps going after its own invariants broke can only make the damage worse.
 * @internal
 */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

/**
 * Checks an invariant. `why` says what was expected, in words a maintainer reading the
 * stack trace can act on.
 * @internal
 */
export function assert(condition: unknown, why: string): asserts condition {
  if (!condition) throw new AssertionError(`assertion failed: ${why}`);
}

/** @internal */
export function unreachable(value: never, why = 'unreachable'): never {
  throw new AssertionError(`assertion failed: ${why}: ${String(value)}`);
}
