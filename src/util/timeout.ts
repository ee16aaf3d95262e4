import { startTimer, stopTimer, systemClock, type Clock } from './clock.js';
import { TributaryError } from './errors.js';

/** A promise that resolves after `ms` of `clock`'s time (on the next timer turn for 0). */
export function delay(ms: number, clock: Clock = systemClock): Promise<void> {
  return new Promise((resolve) => void startTimer(clock, ms, resolve));
}

/**
 * Races `promise` against a timer: rejects with a retriable `REQUEST_TIMED_OUT` naming
 * `what` after `ms`. The timer is cleared as soon as the promise settles. (The work itself
 * is not called back: its outcome, if it comes, is ignored.)
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string, clock: Clock = systemClock): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = startTimer(clock, ms, () => reject(new TributaryError('REQUEST_TIMED_OUT', `${what}: no response within ${ms} ms`)));
    promise.then(
      (v) => {
        stopTimer(clock, t);
        resolve(v);
      },
      (e: unknown) => {
        stopTimer(clock, t);
        reject(e);
      },
    );
  });
}
