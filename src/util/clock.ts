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
import { TributaryError } from './errors.js';

export interface Clock {
  /** Wall-clock milliseconds since the Unix epoch (record timestamps, retention). */
  now(): number;
  /** Monotonic milliseconds for measuring intervals (timeouts); never goes backwards. */
  monotonic(): number;
  /**
   * Calls `fn` once, when `ms` more of monotonic time has passed (on a later turn of the
   * event loop, never inside this call). Optional: code that waits on a clock without
   * timers (`startTimer`) falls back to the real `setTimeout`. A clock that has timers
   * makes every wait of the code given it happen in its time: a simulation runs the real
   * clients' timeouts, heartbeats and backoffs in its own order, from a seed.
   */
  setTimer?(fn: () => void, ms: number): ClockTimer;
  /** Cancels a timer this clock started; a timer that fired or was cleared is ignored. */
  clearTimer?(timer: ClockTimer): void;
}

/** A timer a `Clock` started: opaque, for `clearTimer`. */
export type ClockTimer = object;

/**
 * Starts a timer on `clock` (its own timers, or the real `setTimeout` for a clock without
 * them). `unref` lets the process exit while the timer waits (real timers only).
 * @internal
 */
export function startTimer(clock: Clock, ms: number, fn: () => void, unref = false): ClockTimer {
  const t = clock.setTimer !== undefined ? clock.setTimer(fn, Math.max(0, ms)) : setTimeout(fn, Math.max(0, ms));
  if (unref) (t as { unref?: () => void }).unref?.();
  return t;
}

/**
 * Calls `fn` on a later turn of the event loop, never inside this call: `setImmediate`
 * (after pending I/O, before timers due later) for the system clock or a clock without
 * timers, a 0 ms timer of a clock with its own timers (a `SimulatedTimerClock`: the
 * simulation's driver fires it in its order). A real 0 ms `setTimeout` would cost a
 * millisecond a hop (Node clamps it to 1 ms), which a long-poll wakeup or a message
 * between Raft nodes in one thread cannot afford.
 * @internal
 */
export function nextTurn(clock: Clock, fn: () => void): void {
  if (clock.setTimer === undefined || clock === systemClock) setImmediate(fn);
  else clock.setTimer(fn, 0);
}

/** A repeating timer `every` started: `stop()` ends it (twice is a no-op). @internal */
export interface RepeatingTimer {
  stop(): void;
}

/**
 * Calls `fn` every `ms` of `clock`'s time until stopped: a real `setInterval` for the
 * system clock or a clock without timers (it keeps the process alive, as a listening
 * server does, unless `unref`), otherwise the clock's timer re-armed after each call, so
 * that a simulated clock fires it in its own time.
 * @internal
 */
export function every(clock: Clock, ms: number, fn: () => void, unref = false): RepeatingTimer {
  if (clock.setTimer === undefined || clock === systemClock) {
    const t = setInterval(fn, ms);
    if (unref) t.unref();
    return { stop: () => clearInterval(t) };
  }
  let stopped = false;
  let timer: ClockTimer | undefined;
  const arm = (): void => {
    timer = clock.setTimer!(() => {
      if (stopped) return;
      arm();
      fn();
    }, ms);
  };
  arm();
  return {
    stop: () => {
      stopped = true;
      stopTimer(clock, timer);
    },
  };
}

/** Cancels a timer `startTimer` started on the same clock. @internal */
export function stopTimer(clock: Clock, timer: ClockTimer | undefined): void {
  if (timer === undefined) return;
  if (clock.clearTimer !== undefined) clock.clearTimer(timer);
  else clearTimeout(timer as ReturnType<typeof setTimeout>);
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
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
};

/**
 * A clock that moves only when told to. Both readings move together. It has no timers:
 * code given it waits on real timers, measured on its readings (see `SimulatedTimerClock`
 * for one whose timers fire as it moves).
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
  protected ms: number;
  constructor(startMs = 1_700_000_000_000) {
    this.ms = checkedMs(startMs, 'startMs');
  }
  now(): number {
    return this.ms;
  }
  monotonic(): number {
    return this.ms;
  }
  /** Moves both readings forward by `ms`. */
  advance(ms: number): void {
    if (checkedMs(ms, 'ms') < 0) throw backwards(ms);
    this.set(this.ms + ms);
  }
  /** Moves both readings forward to `ms` (never backwards). */
  set(ms: number): void {
    if (checkedMs(ms, 'ms') < this.ms) throw backwards(ms - this.ms);
    this.ms = ms;
  }
}

/**
 * A reading must be a finite number: `advance(NaN)` made every reading NaN, and every
 * deadline measured on them never came (a timer due at NaN never fires).
 */
function checkedMs(ms: unknown, option: string): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) throw new TributaryError('INVALID_ARGUMENT', `${option} must be a finite number of milliseconds, got ${String(ms)}`, { option });
  return ms;
}

function backwards(byMs: number): TributaryError {
  return new TributaryError('INVALID_ARGUMENT', `a simulated clock cannot go backwards (by ${-byMs} ms)`, { option: 'ms' });
}

interface PendingTimer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
}

/**
 * A simulated clock with timers, which fire only as it moves: `advance` and `set` fire
 * every timer that falls due on the way, in the order of their due times (then of their
 * starting), each with the clock reading its due time; `runNext` moves to the next timer
 * alone and fires it, so a driver that awaits between timers (a simulation of
 * asynchronous code, `test/sim/client-sim.ts`) sees each one's effects before the next.
 * Everything given this clock waits in its time: heartbeats, request timeouts, backoffs.
 * `tributary-log/testing` exports it with `driveClock`, which moves it whenever the
 * process is idle, to run a whole in-process cluster (`Cluster.start({ clock })`) on it.
 *
 * @example
 * ```ts
 * import { SimulatedTimerClock } from 'tributary-log/testing';
 *
 * const clock = new SimulatedTimerClock(0);
 * const fired: number[] = [];
 * clock.setTimer(() => fired.push(clock.now()), 30_000);
 * clock.advance(60_000);
 * console.log(fired); // [ 30000 ]
 * ```
 */
export class SimulatedTimerClock extends SimulatedClock {
  private seq = 0;
  /** Pending timers, unordered: a simulation has tens of them, and a scan is cheaper than keeping a heap. */
  private readonly timers = new Map<number, PendingTimer>();
  /** Calls `fn` once the clock has been moved `ms` on (`advance`, `runNext`, or `driveClock`); never on the wall clock. */
  setTimer(fn: () => void, ms: number): ClockTimer {
    const seq = this.seq++;
    // NaN (a delay computed from a missing deadline) is due at once, as setTimeout has it:
    // due at NaN, the timer would compare as the earliest forever and hold back every other.
    this.timers.set(seq, { at: this.ms + (Number.isNaN(ms) ? 0 : Math.max(0, ms)), seq, fn });
    return { seq };
  }
  /** Cancels a timer `setTimer` returned; one that has fired or was cleared is ignored. */
  clearTimer(timer: ClockTimer): void {
    this.timers.delete((timer as { seq: number }).seq);
  }
  /** When the next timer falls due, or undefined with none pending. */
  nextTimerAt(): number | undefined {
    return this.earliest()?.at;
  }
  /** How many timers were ever started (a driver compares it to see whether anything happened). */
  get timersStarted(): number {
    return this.seq;
  }
  /** How many timers are pending. */
  pendingTimers(): number {
    return this.timers.size;
  }
  /** Moves to the next timer's due time (if later) and fires it alone; false with none pending. */
  runNext(): boolean {
    const t = this.earliest();
    if (t === undefined) return false;
    this.timers.delete(t.seq);
    if (t.at > this.ms) this.ms = t.at;
    t.fn();
    return true;
  }
  /** Moves both readings forward to `ms`, firing the timers due on the way. */
  override set(ms: number): void {
    if (checkedMs(ms, 'ms') < this.ms) throw backwards(ms - this.ms);
    for (let t = this.earliest(); t !== undefined && t.at <= ms; t = this.earliest()) this.runNext();
    this.ms = ms;
  }
  private earliest(): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const t of this.timers.values()) if (best === undefined || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    return best;
  }
}

/**
 * One timer for the earliest of the deadlines a driver asks for: `armIn` re-arms only for
 * an earlier time (a later one leaves it; its early wakeup asks again). It calls `fn` with
 * how late it fired (a stalled thread's measure). The Raft driver, the controller and the
 * group shell sleep to their next deadline on one each (docs/design/idle.md).
 * @internal
 */
export class DeadlineTimer {
  private timer: ClockTimer | undefined;
  private at = Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly fn: (lateMs: number) => void,
    private readonly unref = false,
  ) {}

  /** Whether the timer is armed. */
  get armed(): boolean {
    return this.timer !== undefined;
  }

  /** Arms the timer `delayMs` from now, unless it is armed as early already. */
  armIn(delayMs: number): void {
    const at = this.clock.monotonic() + delayMs;
    if (this.timer !== undefined && this.at <= at) return;
    stopTimer(this.clock, this.timer);
    this.at = at;
    this.timer = startTimer(
      this.clock,
      delayMs,
      () => {
        const lateMs = this.clock.monotonic() - this.at;
        this.timer = undefined;
        this.at = Infinity;
        this.fn(lateMs);
      },
      this.unref,
    );
  }

  stop(): void {
    stopTimer(this.clock, this.timer);
    this.timer = undefined;
    this.at = Infinity;
  }
}
