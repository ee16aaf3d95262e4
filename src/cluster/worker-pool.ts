import type { Worker } from 'node:worker_threads';

/**
 * Idle node workers of this thread's `'per-node'` clusters, kept for the next node to
 * start: a worker whose node closed cleanly runs the next one (`run` message) instead of
 * a new thread booting Node and loading the node bundle again.
 *
 * Why: a new worker costs 40-60 ms of CPU before its node even opens (Node's own
 * bootstrap, then compiling and running the node bundle), three per start; on a loaded
 * 2-core machine those 150 ms of CPU were most of a 300-600 ms start (measured, load 16:
 * entry loaded 40-390 ms after `new Worker`). A process that starts clusters again and
 * again (a test suite, a bench) pays it once per worker instead of once per node start.
 *
 * An idle worker is unref'd (it never keeps the process alive) and holds nothing of its
 * last run: only workers whose node closed cleanly come here, never a killed or failed
 * one. At most `idleWorkersMax` wait; more are terminated.
 * @internal
 */
export const idleWorkersMax = 6;

const idle: Worker[] = [];
const watched = new WeakSet<Worker>();

/** An idle worker, ref'd again, or undefined. */
export function takeIdleWorker(): Worker | undefined {
  const w = idle.pop();
  w?.ref();
  return w;
}

/** Keeps `w` for a later node (or terminates it when enough wait). */
export function putIdleWorker(w: Worker): void {
  if (idle.length >= idleWorkersMax) {
    void w.terminate();
    return;
  }
  if (!watched.has(w)) {
    watched.add(w);
    w.on('exit', () => {
      const i = idle.indexOf(w);
      if (i >= 0) idle.splice(i, 1);
    });
    // An idle worker's error (none expected: it runs nothing) must not be unhandled.
    w.on('error', () => {});
  }
  w.unref();
  idle.push(w);
}

/** How many idle workers wait now (tests). */
export function idleWorkerCount(): number {
  return idle.length;
}
