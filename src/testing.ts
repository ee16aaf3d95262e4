/**
 * `tributary-log/testing`: helpers for integration tests that run against a real Tributary
 * cluster in the test's own process. Works with vitest and jest (pass their `beforeAll`
 * and `afterAll`, or `beforeEach` and `afterEach` for a cluster per test).
 * @packageDocumentation
 */
import type { ConsumerGroup } from './client/consumer-group.js';
import { Cluster, type ClusterOptions } from './cluster.js';
import { TributaryError } from './util/errors.js';
import { delay } from './util/timeout.js';
import { validateClusterOptions } from './cluster-options.js';
import { checkOptions, clockRule, durationMs, func, required, str, type OptionRules } from './util/options.js';
import { systemClock, type Clock } from './util/clock.js';

const waitForRules: OptionRules = { timeoutMs: durationMs(0), intervalMs: durationMs(1), message: str(0, 10_000), clock: clockRule };

export { Cluster, type ClusterOptions } from './cluster.js';
export { driveClock, SimulatedTimerClock, type ClockDriver, type ClockDriverOptions } from './util/clock-driver.js';

type Hook = (fn: () => Promise<void> | void, timeout?: number) => void;

/**
 * The setup and teardown hooks of a test framework (vitest's and jest's have this shape).
 *
 * @example
 * ```ts
 * import { afterEach, beforeEach, expect, it } from 'vitest';
 * import { useCluster, type TestHooks } from 'tributary-log/testing';
 *
 * // A fresh cluster for every test.
 * const perTest: TestHooks = { before: beforeEach, after: afterEach };
 * const cluster = useCluster({ nodes: 3 }, perTest);
 *
 * it('creates a topic', async () => {
 *   await cluster().admin().createTopics([{ name: 'orders' }]);
 *   expect(await cluster().admin().listTopics()).toContain('orders');
 * });
 * ```
 */
export interface TestHooks {
  readonly before: Hook;
  readonly after: Hook;
}

/**
 * Starts an ephemeral cluster before the tests (`before`) and closes it, removing its
 * files, after them (`after`). Returns a function that gives the running cluster.
 *
 * @example
 * ```ts
 * import { beforeAll, afterAll, it, expect } from 'vitest';
 * import { useCluster } from 'tributary-log/testing';
 *
 * const cluster = useCluster({ nodes: 1 }, { before: beforeAll, after: afterAll });
 *
 * it('round-trips a record', async () => {
 *   await cluster().admin().createTopics([{ name: 'events' }]);
 *   const [meta] = await cluster().producer().send('events', [{ value: 'hello' }]);
 *   expect(meta!.offset).toBe(0);
 * });
 * ```
 */
export function useCluster(options: ClusterOptions, hooks: TestHooks): () => Cluster {
  validateClusterOptions(options);
  checkOptions(hooks, { before: required(func), after: required(func) }, 'a TestHooks', { aliases: { beforeAll: 'before', beforeEach: 'before', afterAll: 'after', afterEach: 'after' } });
  let cluster: Cluster | undefined;
  hooks.before(async () => {
    cluster = await Cluster.start(options);
  }, 60_000);
  hooks.after(async () => {
    await cluster?.close();
    cluster = undefined;
  }, 60_000);
  return () => {
    if (cluster === undefined) throw new TributaryError('CLIENT_CLOSED', 'the test cluster is not running: call it inside a test, after the setup hook');
    return cluster;
  };
}

/**
 * Options of {@link waitFor}.
 *
 * @example
 * ```ts
 * import { Cluster } from 'tributary-log';
 * import { killPartitionLeader, waitFor, type WaitForOptions } from 'tributary-log/testing';
 *
 * await using cluster = await Cluster.start({ nodes: 3 });
 * await cluster.admin().createTopics([{ name: 'orders', replicationFactor: 3 }]);
 * const killed = await killPartitionLeader(cluster, 'orders', 0);
 * const options: WaitForOptions = { timeoutMs: 10_000, intervalMs: 50, message: 'no new leader for orders-0' };
 * const leader = await waitFor(async () => {
 *   const [orders] = await cluster.admin().describeTopics(['orders']);
 *   const l = orders!.partitions[0]!.leader;
 *   return l >= 0 && l !== killed ? l : undefined;
 * }, options);
 * console.log(leader !== killed); // true
 * ```
 */
export interface WaitForOptions {
  /** Give up after this long. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** Check this often. Default 10 ms. */
  readonly intervalMs?: number;
  /** Said in the error when the time runs out. */
  readonly message?: string;
  /**
   * Whose time `timeoutMs` and `intervalMs` are: the real clock by default; the
   * `SimulatedTimerClock` a cluster runs on (`Cluster.start({ clock })`, moved by
   * `driveClock`) to wait in the cluster's own time, which a loaded machine cannot use up.
   */
  readonly clock?: Clock;
}

/**
 * Waits until `condition` returns a truthy value (or a promise of one) and resolves with
 * it; rejects with `REQUEST_TIMED_OUT` after `timeoutMs`, with the last error the
 * condition threw, if any, as the cause.
 *
 * @example
 * ```ts
 * import { Cluster } from 'tributary-log';
 * import { waitFor } from 'tributary-log/testing';
 *
 * await using cluster = await Cluster.start({ nodes: 3 });
 * cluster.killNode(2);
 * await waitFor(() => cluster.describe().find((n) => n.id === 2)?.running === false);
 * ```
 */
export async function waitFor<T>(condition: () => T | Promise<T>, options: WaitForOptions = {}): Promise<NonNullable<T>> {
  if (typeof condition !== 'function') throw new TributaryError('INVALID_ARGUMENT', 'waitFor takes a function that returns a truthy value when the condition is met', { option: 'condition' });
  checkOptions(options, waitForRules, 'a waitFor', { aliases: { timeout: 'timeoutMs', interval: 'intervalMs' } });
  const timeoutMs = options.timeoutMs ?? 5000;
  const intervalMs = options.intervalMs ?? 10;
  const clock = options.clock ?? systemClock;
  const deadline = clock.monotonic() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (clock.monotonic() >= deadline) {
      throw new TributaryError('REQUEST_TIMED_OUT', options.message ?? `condition not met within ${timeoutMs} ms`, lastError === undefined ? {} : { cause: lastError });
    }
    await delay(intervalMs, clock);
  }
}

/**
 * Crashes one consumer group member, as if its process died: it stops heartbeating,
 * fetching and committing at once, and never leaves the group. The coordinator removes it
 * when its `sessionTimeoutMs` runs out, and the group then gives its partitions to the
 * other members, which read again whatever it processed after its last commit. Its loops
 * and `run()` end. (A member that should leave cleanly is closed with `close()` instead.)
 *
 * @example
 * ```ts
 * import { Cluster } from 'tributary-log';
 * import { crashGroupMember, waitFor } from 'tributary-log/testing';
 *
 * await using cluster = await Cluster.start();
 * await cluster.admin().createTopics([{ name: 'jobs', partitions: 2 }]);
 * const options = { groupId: 'workers', topics: ['jobs'], sessionTimeoutMs: 2000 };
 * const a = cluster.consumerGroup(options);
 * const b = cluster.consumerGroup(options);
 * await waitFor(() => a.assignment().length === 1 && b.assignment().length === 1);
 * await crashGroupMember(b);
 * // b's partition moves to a once b's session has run out.
 * await waitFor(() => a.assignment().length === 2, { timeoutMs: 30_000 });
 * await a.close();
 * ```
 */
export async function crashGroupMember<K, V>(group: ConsumerGroup<K, V>): Promise<void> {
  await group.kill();
}

/**
 * Kills (no clean shutdown) the node that leads a partition and resolves with its id.
 * The controller fences it once its session expires and elects a new leader from the ISR.
 *
 * @example
 * ```ts
 * import { Cluster } from 'tributary-log';
 * import { killPartitionLeader } from 'tributary-log/testing';
 *
 * await using cluster = await Cluster.start({ nodes: 3 });
 * await cluster.admin().createTopics([{ name: 'orders', replicationFactor: 3 }]);
 * const killed = await killPartitionLeader(cluster, 'orders', 0);
 * await cluster.restartNode(killed);
 * ```
 */
export async function killPartitionLeader(cluster: Cluster, topic: string, partition: number): Promise<number> {
  if (!(cluster instanceof Cluster)) throw new TributaryError('INVALID_ARGUMENT', 'killPartitionLeader takes the Cluster first', { option: 'cluster' });
  if (!Number.isInteger(partition) || partition < 0) throw new TributaryError('INVALID_ARGUMENT', `partition must be a non-negative integer, got ${String(partition)}`, { option: 'partition', topic });
  const [described] = await cluster.admin().describeTopics([topic]);
  const leader = described?.partitions[partition]?.leader ?? -1;
  if (leader < 0) throw new TributaryError('LEADER_NOT_AVAILABLE', `${topic}-${partition} has no leader to kill`, { topic, partition });
  cluster.killNode(leader);
  return leader;
}
