/**
 * Time as the cores see it. Cores never call `Date.now()`; they are handed a `Clock` (or
 * a `now` in milliseconds) so that a simulation can run hours of timeouts in
 * microseconds and replay them exactly.
 * @internal
 */
export interface Clock {
  /** Wall-clock milliseconds since the Unix epoch (record timestamps, retention). */
  now(): number;
  /** Monotonic milliseconds for measuring intervals (timeouts); never goes backwards. */
  monotonic(): number;
}

/** The real clock. @internal */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
};

/**
 * A clock that moves only when told to. Both readings move together.
 * @internal
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
  advance(ms: number): void {
    if (ms < 0) throw new RangeError('a simulated clock cannot go backwards');
    this.ms += ms;
  }
  set(ms: number): void {
    if (ms < this.ms) throw new RangeError('a simulated clock cannot go backwards');
    this.ms = ms;
  }
}
