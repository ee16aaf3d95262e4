/**
 * Time as the cores see it. Cores never call `Date.now()`; they are handed a `Clock` (or
 * a `now` in milliseconds) so that a simulation can run hours of timeouts in
 * microseconds and replay them exactly. Pass one to a log or cluster to control time
 * in tests.
 */
export interface Clock {
  /** Wall-clock milliseconds since the Unix epoch (record timestamps, retention). */
  now(): number;
  /** Monotonic milliseconds for measuring intervals (timeouts); never goes backwards. */
  monotonic(): number;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
};

/**
 * A clock that moves only when told to. Both readings move together.
 *
 * @example
 * ```ts
 * import { SimulatedClock } from 'tributary';
 *
 * const clock = new SimulatedClock(0);
 * clock.advance(1000);
 * console.log(clock.now()); // 1000
 * ```
 */
export class SimulatedClock implements Clock {
  private ms: number;
  constructor(startMs = 1_700_000_000_000) {
    this.ms = startMs;
  }
  now(): number {
    return this.ms;
  }
  monotonic(): number {
    return this.ms;
  }
  /** Moves both readings forward by `ms`. */
  advance(ms: number): void {
    if (ms < 0) throw new RangeError('a simulated clock cannot go backwards');
    this.ms += ms;
  }
  /** Moves both readings forward to `ms` (never backwards). */
  set(ms: number): void {
    if (ms < this.ms) throw new RangeError('a simulated clock cannot go backwards');
    this.ms = ms;
  }
}
