import { TributaryError } from './errors.js';

/** A promise that resolves after `ms` (on the next timer turn for 0). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Races `promise` against a timer: rejects with a retriable `REQUEST_TIMED_OUT` naming
 * `what` after `ms`. The timer is cleared as soon as the promise settles. (The work itself
 * is not called back: its outcome, if it comes, is ignored.)
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new TributaryError('REQUEST_TIMED_OUT', `${what}: no response within ${ms} ms`)), Math.max(0, ms));
    promise.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
