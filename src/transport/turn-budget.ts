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
 * @internal
 */
export class TurnBudget {
  private used = 0;
  private turnStartedMs = 0;
  private resetScheduled = false;
  private readonly resetFn = (): void => {
    this.used = 0;
    this.resetScheduled = false;
  };

  constructor(
    private readonly requestsMax: number,
    private readonly budgetUs: number,
  ) {}

  /**
   * Counts one unit of work; returns `undefined` when it may run in this turn, or a
   * promise that resolves on a later turn of the loop (after timers and I/O have had
   * theirs).
   */
  take(): Promise<void> | undefined {
    const now = performance.now();
    if (!this.resetScheduled) {
      this.resetScheduled = true;
      this.turnStartedMs = now;
      setImmediate(this.resetFn);
    }
    this.used++;
    if (this.used <= this.requestsMax && (now - this.turnStartedMs) * 1000 <= this.budgetUs) return undefined;
    return new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * The budget each new in-process transport takes: 64 requests or 2 ms a turn. A setting
 * for the benchmarks (which compare it with a boundary per request and with none), not an
 * option: change it only before a cluster starts.
 * @internal
 */
export const inlineTurnBudget = { requestsMax: 64, budgetUs: 2_000 };
