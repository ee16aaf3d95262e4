import { nextTurn, startTimer, stopTimer, systemClock, type Clock } from '../util/clock.js';

/**
 * Waiters for news on a partition (an append, a high watermark move, a leadership change).
 * A wait's timeout is a timer of the given clock, so that a simulated clock drives it.
 * @internal
 */
export class Wakeups {
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(private readonly clock: Clock = systemClock) {}

  /** Whether anyone waits on some key: when not, a caller need not even make the keys of what moved. */
  get waiting(): boolean {
    return this.waiters.size > 0;
  }

  wait(keys: readonly string[], timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        stopTimer(this.clock, timer);
        for (const k of keys) {
          const set = this.waiters.get(k);
          // An empty set goes, so that `waiting` says false when nobody waits.
          if (set !== undefined && set.delete(finish) && set.size === 0) this.waiters.delete(k);
        }
        resolve();
      };
      const timer = startTimer(this.clock, timeoutMs, finish);
      for (const k of keys) {
        let set = this.waiters.get(k);
        if (!set) this.waiters.set(k, (set = new Set()));
        set.add(finish);
      }
    });
  }

  /**
   * Wakes the waiters on `key` on the next turn of the event loop, not in this one: a
   * woken fetch that wakes another (two followers, an ISR change answered at once) must
   * not chain microtasks forever and starve timers and I/O.
   */
  wake(key: string): void {
    const set = this.waiters.get(key);
    if (!set || set.size === 0) return;
    this.waiters.delete(key);
    nextTurn(this.clock, () => {
      for (const f of set) f();
    });
  }

  /** `wake` for several keys, their waiters all woken on one later turn of the event loop. */
  wakeMany(keys: readonly string[]): void {
    let woken: Set<() => void>[] | undefined;
    for (const key of keys) {
      const set = this.waiters.get(key);
      if (!set || set.size === 0) continue;
      this.waiters.delete(key);
      (woken ??= []).push(set);
    }
    if (woken === undefined) return;
    const sets = woken;
    nextTurn(this.clock, () => {
      for (const set of sets) for (const f of set) f();
    });
  }

  wakeAll(): void {
    for (const key of [...this.waiters.keys()]) this.wake(key);
  }
}
