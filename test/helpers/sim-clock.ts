/**
 * Simulated time for integration tests whose waiting is about the cluster's own timers
 * (sessions, heartbeats, rebalances, elections, fencing, ISR changes, backoffs, request
 * timeouts, long polls). A file calls `useSimulatedClock()` once; each test starts its
 * clusters with `Cluster.start({ ...options, clock })` (the nodes run inline on it) and
 * waits with `until(...)` and `sleep(ms)`, both in the clock's time. `driveClock` moves
 * the clock whenever the process is idle and never while a file request is in flight, so
 * a loaded machine can neither run a deadline out nor make a heartbeat late, and a 10 s
 * session passes in milliseconds.
 *
 * The driver runs from `beforeAll` to `afterAll`: a test's clusters must be closed by the
 * end of the test (`await using`), since closing waits on the clock's timers.
 */
import { afterAll, beforeAll } from 'vitest';
import { driveClock, SimulatedTimerClock, waitFor, type ClockDriver } from '../../src/testing.js';
import { delay } from '../../src/util/timeout.js';

export interface SimulatedTime {
  /** The clock: give it to `Cluster.start({ clock })` and to anything the test waits with. */
  readonly clock: SimulatedTimerClock;
  /**
   * Polls `cond` every 10 ms of the clock until it holds; throws after `timeoutMs` of the
   * clock (default 60 s). An error `cond` throws counts as not yet (it is the cause of the
   * timeout error).
   */
  until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs?: number): Promise<void>;
  /** Resolves after `ms` of the clock's time. */
  sleep(ms: number): Promise<void>;
}

function timeOn(clock: SimulatedTimerClock): SimulatedTime {
  return {
    clock,
    until: async (what, cond, timeoutMs = 60_000) => {
      await waitFor(async () => (await cond()) || undefined, { clock, timeoutMs, message: `timed out waiting for ${what} (${timeoutMs} simulated ms)` });
    },
    sleep: (ms) => delay(ms, clock),
  };
}

/**
 * A simulated clock driven from `beforeAll` to `afterAll` of the file (or `describe`) that
 * calls it. The clock starts at the real time, so record timestamps and retention look as
 * they would.
 */
export function useSimulatedClock(): SimulatedTime {
  const clock = new SimulatedTimerClock(Date.now());
  let driver: ClockDriver | undefined;
  beforeAll(() => {
    driver = driveClock(clock);
  });
  afterAll(async () => {
    await driver?.stop();
  });
  return timeOn(clock);
}

/** A simulated clock driven for one test: `await using sim = simulatedClock()` stops the driver at the end of the block. */
export function simulatedClock(): SimulatedTime & AsyncDisposable {
  const clock = new SimulatedTimerClock(Date.now());
  const driver = driveClock(clock);
  return { ...timeOn(clock), [Symbol.asyncDispose]: () => driver.stop() };
}
