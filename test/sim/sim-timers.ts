/** Shared by the simulations that run the real `Producer`. */
import type { ClockTimer, SimulatedTimerClock } from '../../src/util/clock.js';

/**
 * Routes the global `setTimeout` to the simulated clock while a run lasts, so that code
 * which starts a timer with the global function rather than through its clock still runs
 * deterministically, and records where the first such timer came from. Nothing in `src/`
 * should need it any more (the clients, brokers and storage take every timer from their
 * clock): a simulation fails a seed whose `globalTimers()` is not empty. Returns the undo.
 */
export function routeGlobalTimers(clock: SimulatedTimerClock): (() => void) & { readonly globalTimers: () => readonly string[] } {
  const saved = { setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout };
  const simulated = new WeakSet<object>();
  const callers: string[] = [];
  globalThis.setTimeout = ((fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    if (callers.length < 3) callers.push(new Error('a global setTimeout').stack ?? 'a global setTimeout');
    const t = clock.setTimer(() => fn(...args), ms ?? 0);
    simulated.add(t);
    return Object.assign(t, { unref: () => t, ref: () => t, hasRef: () => true, refresh: () => t });
  }) as unknown as typeof setTimeout;
  globalThis.clearTimeout = ((t: unknown) => {
    if (typeof t === 'object' && t !== null && simulated.has(t)) clock.clearTimer(t as ClockTimer);
    else saved.clearTimeout(t as Parameters<typeof clearTimeout>[0]);
  }) as typeof clearTimeout;
  const restore = (): void => {
    globalThis.setTimeout = saved.setTimeout;
    globalThis.clearTimeout = saved.clearTimeout;
  };
  return Object.assign(restore, { globalTimers: (): readonly string[] => callers });
}

