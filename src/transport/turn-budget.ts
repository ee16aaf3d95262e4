/**
 * A budget of work a turn of the event loop may chain in microtasks before it hands over
 * to the next turn (issue 13, item 3).
 *
 * Why: on the in-process transport a request, the broker's answer and the client's next
 * request are all promise continuations. With 32 sends in flight (or one send with linger
 * 0) that chain never ends while there is work, and no timer, I/O callback or
 * `setImmediate` runs: measured, three seconds of sending ran none. A macrotask boundary
 * per request (`setImmediate` before every request) bounds it but costs a loop turn per
 * request; the budget lets `requestsMax` requests (or `budgetUs` microseconds of them,
 * whichever comes first) run in the current turn and defers the rest to the next one.
 * Worked example: 32 sends in flight at about 15 us each: per-request boundaries give 32
 * requests a turn with 32 immediates; a budget of 64 requests / 2 ms runs them in the
 * microtask chain and turns the loop once per 64, so timers run at most ~2 ms late from
 * this source (figures in docs/design/clients.md).
 *
 * Order: units are granted strictly in the order they were asked for. Once one unit waits
 * for a later turn, every unit asked for after it waits behind it, even if the next turn
 * has budget to spare when it is asked: a transport carries a node's requests in the order
 * they were sent, as a TCP connection does, and an idempotent producer's batches (or any
 * client's requests) must not overtake each other on the way.
 * @internal
 */
export class TurnBudget {
  private used = 0;
  private turnStartedMs = 0;
  private turnScheduled = false;
  /** Units waiting for a later turn, in the order they were asked for (`head` is the next to go). */
  private waiting: Array<() => void> = [];
  private head = 0;
  private readonly turnFn = (): void => this.nextTurn();
  private readonly releaseFn = (): void => this.release();

  constructor(
    private readonly requestsMax: number,
    private readonly budgetUs: number,
  ) {}

  /**
   * Counts one unit of work; returns `undefined` when it may run in this turn, or a
   * promise that resolves on a later turn of the loop (after timers and I/O have had
   * theirs), after every unit that was deferred before it.
   */
  take(): Promise<void> | undefined {
    const now = performance.now();
    if (!this.turnScheduled) this.startTurn(now);
    if (this.head === this.waiting.length && this.fits(now)) {
      this.used++;
      return undefined;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private fits(now: number): boolean {
    return this.used < this.requestsMax && (now - this.turnStartedMs) * 1000 <= this.budgetUs;
  }

  private startTurn(now: number): void {
    this.turnScheduled = true;
    this.turnStartedMs = now;
    this.used = 0;
    setImmediate(this.turnFn);
  }

  /** A new turn of the loop: the budget starts again, and the waiting units go first. */
  private nextTurn(): void {
    this.turnScheduled = false;
    this.used = 0;
    if (this.head < this.waiting.length) {
      this.startTurn(performance.now());
      this.release();
    }
  }

  /**
   * Grants the oldest waiting unit if the turn has budget left, then looks again on the
   * next microtask: the granted unit's continuation (queued when it resolved) runs first,
   * so the time it takes counts against this turn before the next unit is granted.
   */
  private release(): void {
    if (this.head === this.waiting.length) return;
    if (!this.fits(performance.now())) return; // the next turn's `nextTurn` goes on
    this.used++;
    const resolve = this.waiting[this.head]!;
    this.waiting[this.head++] = undefined as never;
    if (this.head === this.waiting.length) {
      this.waiting = [];
      this.head = 0;
    }
    resolve();
    queueMicrotask(this.releaseFn);
  }
}

/**
 * The budget each new in-process transport takes: 64 requests or 2 ms a turn. A setting
 * for the benchmarks (which compare it with a boundary per request and with none), not an
 * option: change it only before a cluster starts.
 * @internal
 */
export const inlineTurnBudget = { requestsMax: 64, budgetUs: 2_000 };
