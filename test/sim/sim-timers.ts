/** Shared by the simulations that run the real `Producer`. */
import type { ClockTimer, SimulatedTimerClock } from '../../src/util/clock.js';

/**
 * Routes the global `setTimeout` to the simulated clock while a run lasts, for what still
 * starts its timers with the global functions rather than through its clock: the storage
 * checkpoint timer (`log-dir-checkpoints.ts`). The clients (the `Producer`'s sender and
 * buffer pool, `Admin`, `Consumer`, `ConsumerGroup`) take every timer from their clock.
 * Returns the undo.
 */
export function routeGlobalTimers(clock: SimulatedTimerClock): () => void {
  const saved = { setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout };
  const simulated = new WeakSet<object>();
  globalThis.setTimeout = ((fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const t = clock.setTimer(() => fn(...args), ms ?? 0);
    simulated.add(t);
    return Object.assign(t, { unref: () => t, ref: () => t, hasRef: () => true, refresh: () => t });
  }) as unknown as typeof setTimeout;
  globalThis.clearTimeout = ((t: unknown) => {
    if (typeof t === 'object' && t !== null && simulated.has(t)) clock.clearTimer(t as ClockTimer);
    else saved.clearTimeout(t as Parameters<typeof clearTimeout>[0]);
  }) as typeof clearTimeout;
  return () => {
    globalThis.setTimeout = saved.setTimeout;
    globalThis.clearTimeout = saved.clearTimeout;
  };
}

