/** Waiters for news on a partition (an append, a high watermark move, a leadership change). @internal */
export class Wakeups {
  private readonly waiters = new Map<string, Set<() => void>>();

  wait(keys: readonly string[], timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        for (const k of keys) this.waiters.get(k)?.delete(finish);
        resolve();
      };
      const timer = setTimeout(finish, Math.max(0, timeoutMs));
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
    setImmediate(() => {
      for (const f of set) f();
    });
  }

  wakeAll(): void {
    for (const key of [...this.waiters.keys()]) this.wake(key);
  }
}
