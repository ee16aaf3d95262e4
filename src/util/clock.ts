/**
 * Time as the cores see it. Cores never call `Date.now()`; they are handed a `Clock` (or
 * a `now` in milliseconds) so that a simulation can run hours of timeouts in
 * microseconds and replay them exactly. Pass one to a log or cluster to control time
 * in tests.
 *
 * @example
 * ```ts
 * import { MemoryLog, encodeBatch, type Clock } from 'tributary-log';
 *
 * // A clock that reads a fixed wall time, for a reproducible LogAppendTime stamp.
 * const frozen: Clock = { now: () => 1_700_000_000_000, monotonic: () => performance.now() };
 * const log = new MemoryLog({ topic: 'audit', partition: 0, clock: frozen, config: { messageTimestampType: 'LogAppendTime' } });
 * const info = log.write(await encodeBatch([{ value: Buffer.from('login') }]));
 * console.log(info.logAppendTime); // 1700000000000
 * ```
 */
export interface Clock {
  /** Wall-clock milliseconds since the Unix epoch (record timestamps, retention). */
  now(): number;
  /** Monotonic milliseconds for measuring intervals (timeouts); never goes backwards. */
  monotonic(): number;
}

/**
 * The real clock.
 *
 * @example
 * ```ts
 * import { PartitionLog, systemClock } from 'tributary-log';
 *
 * const log = await PartitionLog.open({ dataDir: '/tmp/tributary-example', topic: 'orders', partition: 0, clock: systemClock });
 * console.log(systemClock.now() > 0); // true
 * await log.close();
 * ```
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
};

/**
 * A clock that moves only when told to. Both readings move together.
 *
 * @example
 * ```ts
 * import { SimulatedClock } from 'tributary-log';
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
