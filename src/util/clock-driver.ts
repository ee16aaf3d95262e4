/**
 * Drives a `SimulatedTimerClock` in the background, for integration tests of a whole
 * in-process cluster on simulated time (`Cluster.start({ clock })`): the test awaits as it
 * always does, and whenever the process has nothing else to do the driver moves the clock
 * to its next timer and fires it. Sessions, heartbeats, request timeouts, backoffs and
 * rebalance delays then run in simulated time: a loaded machine that stalls the event loop
 * for a second moves no simulated time at all, so a heartbeat is never late and a session
 * never expires because the test runner was busy; and a 30 s session timeout passes in
 * milliseconds. Exported by `tributary-log/testing`.
 */
import { SimulatedTimerClock } from './clock.js';
import { TributaryError } from './errors.js';

export { SimulatedTimerClock };

/** Options of {@link driveClock}. */
export interface ClockDriverOptions {
  /**
   * How long (real milliseconds) the process must stay idle before the driver moves
   * simulated time on: no timer due, no file system request in flight, nothing queued for
   * the next turn, no timer started since the last look. Default 1.
   */
  readonly idleMs?: number;
}

/**
 * A running {@link driveClock}: `stop()` ends it (and resolves once its loop has ended).
 *
 * @example
 * ```ts
 * import { driveClock, SimulatedTimerClock, type ClockDriver } from 'tributary-log/testing';
 *
 * const driver: ClockDriver = driveClock(new SimulatedTimerClock());
 * await driver.stop();
 * ```
 */
export interface ClockDriver {
  stop(): Promise<void>;
  /** Timers the driver fired. */
  readonly fired: number;
}

/**
 * Real work in flight that must finish before simulated time moves: file reads, writes and
 * syncs, and work queued for the next turn (`setImmediate`: looked at when the driver has
 * none of its own queued), such as the storage flusher between its syncs.
 */
const busyResources = new Set(['FSReqCallback', 'FSReqPromise', 'FileHandleReqWrap', 'Immediate']);

/** Due timers fired between two real turns of the event loop. */
const dueBatchMax = 64;

function ioInFlight(): boolean {
  const info = (process as { getActiveResourcesInfo?: () => string[] }).getActiveResourcesInfo?.();
  return info !== undefined && info.some((r) => busyResources.has(r));
}

/**
 * Starts driving `clock`: a timer that is due fires at once; when none is due and the
 * process is idle (nothing happened for `idleMs` of real time, and no file system request
 * is in flight, so a write being synced is never overtaken by a timeout), the clock moves
 * to its next timer and fires it. Give the same clock to `Cluster.start({ clock })` (the
 * nodes run inline) and to anything the test waits with (`delay(ms, clock)`). Stop the
 * driver after the cluster has closed.
 *
 * @example
 * ```ts
 * import { Cluster } from 'tributary-log';
 * import { driveClock, SimulatedTimerClock } from 'tributary-log/testing';
 *
 * const clock = new SimulatedTimerClock();
 * const driver = driveClock(clock);
 * const cluster = await Cluster.start({ clock });
 * await cluster.admin().createTopics([{ name: 'jobs', partitions: 2 }]);
 * const group = cluster.consumerGroup({ groupId: 'workers', topics: ['jobs'], sessionTimeoutMs: 30_000 });
 * await group.whenJoined();
 * await group.close();
 * await cluster.close();
 * await driver.stop();
 * console.log(clock.now() > 0); // true
 * ```
 */
export function driveClock(clock: SimulatedTimerClock, options: ClockDriverOptions = {}): ClockDriver {
  if (!(clock instanceof SimulatedTimerClock)) throw new TributaryError('INVALID_ARGUMENT', 'driveClock drives a SimulatedTimerClock', { option: 'clock' });
  const idleMs = options.idleMs ?? 1;
  if (!Number.isFinite(idleMs) || idleMs < 0) throw new TributaryError('INVALID_ARGUMENT', `idleMs must be a non-negative number, got ${String(idleMs)}`, { option: 'idleMs' });
  let stopped = false;
  let fired = 0;
  const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  const microtasks = async (): Promise<void> => {
    for (let i = 0; i < 4; i++) await Promise.resolve();
  };
  const pause = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, idleMs));
  const loop = (async () => {
    while (!stopped) {
      await turn();
      const due = clock.nextTimerAt();
      if (due === undefined) {
        await pause();
        continue;
      }
      if (due <= clock.now()) {
        // Every timer already due, each after the promise callbacks of the one before
        // (a 0 ms timer is how a node on this clock hands work to its next turn, and a
        // cluster queues many at once): one real turn for each would make a busy cluster
        // wait on the event loop. A bounded batch, so that I/O callbacks get their turn.
        for (let n = 0; n < dueBatchMax && !stopped; n++) {
          const next = clock.nextTimerAt();
          if (next === undefined || next > clock.now()) break;
          clock.runNext();
          fired++;
          await microtasks();
        }
        continue;
      }
      // Nothing due: move on only once the process is idle.
      const started = clock.timersStarted;
      await pause();
      if (stopped || ioInFlight() || clock.timersStarted !== started || clock.nextTimerAt() !== due) continue;
      clock.runNext();
      fired++;
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
    },
    get fired() {
      return fired;
    },
  };
}
