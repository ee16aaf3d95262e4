import { nextTurn, startTimer, stopTimer, systemClock, type Clock } from '../util/clock.js';

/**
 * Waiters for news on a partition (an append, a high watermark move, a leadership change).
 * A wait's timeout is a timer of the given clock, so that a simulated clock drives it.
 *
 * **No lost wake-ups.** A delayed fetch reads its partitions, finds too little, and only
 * then waits; the read spans several microtasks (one per partition looked up), and an
 * append that lands between the read and the wait found no waiter to wake. The fetch then
 * slept until its `maxWaitMs` (a follower's `replica.fetch.wait.max.ms`, 500 ms) although
 * the data was there, and every acks=all produce behind it waited too: the 1-s windows of
 * the RF 3 bench ranged from 1.2 M to 2.9 M records a second. So each key counts its
 * wake-ups (`version`), a fetch reads the count before it reads its partitions, and
 * `wait` returns at once when the count has moved since (Kafka's delayed operations do the
 * same with a `tryComplete` after registering their watch).
 * @internal
 */
export class Wakeups {
  private readonly waiters = new Map<string, Set<() => void>>();
  /** Wake-ups per key so far; a key's entry goes with `forget`. */
  private readonly versions = new Map<string, number>();
  /**
   * What forgotten keys had counted, plus one each: part of every `version`, so that no
   * reading ever goes down (a key dropped while others moved could otherwise bring a sum
   * back to an earlier reading, and a change would pass unseen).
   */
  private forgotten = 0;

  constructor(private readonly clock: Clock = systemClock) {}

  /**
   * A reading of how often `keys` were woken so far: a later reading that differs means
   * something changed on one of them in between.
   */
  version(keys: readonly string[]): number {
    let v = this.forgotten;
    for (const k of keys) v += this.versions.get(k) ?? 0;
    return v;
  }

  /**
   * Resolves on the next wake-up of any of `keys`, or after `timeoutMs`; at once when
   * `seen` (a `version(keys)` read before the caller looked at the partitions) is no longer
   * current, since the change it would wait for already happened; and at once when `signal`
   * aborts (the waiter and its timer are dropped then, not at the timeout).
   */
  wait(keys: readonly string[], timeoutMs: number, seen?: number, signal?: AbortSignal): Promise<void> {
    if (seen !== undefined && this.version(keys) !== seen) return Promise.resolve();
    if (signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        stopTimer(this.clock, timer);
        for (const k of keys) this.waiters.get(k)?.delete(finish);
        signal?.removeEventListener('abort', finish);
        resolve();
      };
      const timer = startTimer(this.clock, timeoutMs, finish);
      signal?.addEventListener('abort', finish, { once: true });
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
    this.versions.set(key, (this.versions.get(key) ?? 0) + 1);
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
      this.versions.set(key, (this.versions.get(key) ?? 0) + 1);
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

  /** Drops the count of a key nobody will wait on again (a replica that went). */
  forget(key: string): void {
    const v = this.versions.get(key);
    if (v === undefined) return;
    this.versions.delete(key);
    this.forgotten += v + 1;
  }

  wakeAll(): void {
    for (const key of [...this.waiters.keys()]) this.wake(key);
  }
}
