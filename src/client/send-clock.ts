/**
 * The timestamp a `send` gives the records that carry none (Kafka's `currentTimeMillis`
 * at `send`), read from the clock once per `readsEvery` sends of one synchronous run, and
 * again at the next run's first send. Why: `Date.now()` costs 85 to 150 ns on this
 * machine, a tenth of a single-record send; 16 sends in one synchronous run take a few
 * microseconds, well below the millisecond a timestamp counts, so the records share the
 * reading they would almost always have read anyway. Only the system clock is read so: a
 * caller's clock (a simulated one) may be moved between two sends of one synchronous run,
 * and each send then gets the time it was sent at.
 * @internal
 */
import { systemClock, type Clock } from '../util/clock.js';

/** Sends of one synchronous run that share one reading of the wall clock. */
const readsEvery = 16;

export class SendClock {
  /** The wall clock as `now` last read it, and how many more sends of this synchronous run may use it. */
  private cached = 0;
  private left = 0;
  private resetQueued = false;
  private readonly reset = (): void => {
    this.left = 0;
    this.resetQueued = false;
  };

  private readonly shared: boolean;

  constructor(private readonly clock: Clock) {
    this.shared = clock === systemClock;
  }

  now(): number {
    if (!this.shared) return this.clock.now();
    if (this.left > 0) {
      this.left--;
      return this.cached;
    }
    this.cached = this.clock.now();
    this.left = readsEvery - 1;
    if (!this.resetQueued) {
      this.resetQueued = true;
      queueMicrotask(this.reset);
    }
    return this.cached;
  }
}
