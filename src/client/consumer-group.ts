/**
 * `ConsumerGroup`: a consumer that shares its topics' partitions with the other members
 * of a group through the group coordinator (Kafka's classic protocol: FindCoordinator,
 * JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetFetch, OffsetCommit), and commits
 * how far it got. It is the public face over two halves, as Kafka's consumer splits them:
 * membership and commits (`consumer-coordinator.ts`, Kafka's `ConsumerCoordinator`) and
 * handing out records (`group-delivery.ts`). Its options are in
 * `consumer-group-options.ts`, the bytes members exchange in `consumer-protocol.ts`, the
 * leader's assignors in `assignors.ts`. The semantics (at-least-once, when commits
 * happen, the rebalance events) are in docs/design/consumer-groups.md.
 */
import type { Transport } from '../transport/transport.js';
import { systemClock, type Clock } from '../util/clock.js';
import { TributaryError } from '../util/errors.js';
import { validateTopicName } from '../util/topic-name.js';
import { Admin } from './admin.js';
import type { ConsumerMetrics } from './client-metrics.js';
import { Consumer, type SeekTarget, type TopicPartition } from './consumer.js';
import { ConsumerCoordinator, type OffsetToCommit, type RebalanceEvent, type RebalanceHandler } from './consumer-coordinator.js';
import { resolveConsumerGroupOptions, type ConsumerGroupOptions, type ResolvedConsumerGroupOptions } from './consumer-group-options.js';
import type { OffsetAndTimestamp, TopicPartitionOffset, TopicPartitionTimestamp } from './consumer-offsets.js';
import { GroupDelivery, tpKey, type RunHandlers } from './group-delivery.js';
import type { Serde } from './serde.js';
import type { SerdeLike, TypedConsumerRecord } from './topic.js';

export type { AssignorName, ConsumerGroupOptions } from './consumer-group-options.js';
export type { OffsetToCommit, RebalanceEvent, RebalanceHandler } from './consumer-coordinator.js';
export type { RunHandlers, TypedConsumerBatch } from './group-delivery.js';
export { resolveConsumerGroupOptions };

/**
 * One partition's lag: how far the member's position is behind the high watermark.
 *
 * @example
 * ```ts
 * import { Cluster, type PartitionLag } from 'tributary-log';
 *
 * await using cluster = await Cluster.start();
 * await cluster.admin().createTopics([{ name: 'events' }]);
 * const group = cluster.consumerGroup({ groupId: 'audit', topics: ['events'], autoOffsetReset: 'earliest' });
 * await group.whenJoined();
 * const lags: PartitionLag[] = await group.lag();
 * console.log(lags.reduce((n, l) => n + l.lag, 0)); // 0
 * await group.close();
 * ```
 */
export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  /** The next offset the member will read, or undefined before it is known. */
  readonly position: number | undefined;
  readonly highWatermark: number;
  readonly lag: number;
}

/**
 * A member of a consumer group. It joins as soon as it is made; iterate it (or `run` it)
 * to get the records of the partitions the group gives it.
 *
 * - **At least once.** A record counts as processed once the loop body that received it
 *   returned (the iteration asked for the next record), or once `eachRecord`/`eachBatch`
 *   resolved. Only processed records are committed: automatically every
 *   `autoCommitIntervalMs`, before a partition is given up, and on `close`; or by
 *   `commit()`. After a crash the group resumes from the last commit, so records after it
 *   are read again.
 * - **Rebalances.** `on('revoked')` handlers run, and are awaited, after the record being
 *   processed finishes and before the partition is given up; `on('assigned')` after the
 *   new partitions' positions are known; `on('lost')` when the group took partitions away
 *   without asking (this member's session expired).
 * - Heartbeats go on their own timer, so a slow loop body does not end the session; it
 *   only delays a rebalance (up to `rebalanceTimeoutMs`).
 *
 * @example
 * ```ts
 * import { Cluster, serdes } from 'tributary-log';
 *
 * await using cluster = await Cluster.start();
 * await cluster.admin().createTopics([{ name: 'orders', partitions: 3 }]);
 * await cluster.topic('orders', { key: serdes.string, value: serdes.string }).send({ key: 'k', value: 'hello' });
 * const group = cluster.consumerGroup({ groupId: 'billing', topics: ['orders'], autoOffsetReset: 'earliest', value: serdes.string });
 * for await (const record of group) {
 *   console.log(record.value); // hello
 *   break;
 * }
 * await group.close();
 * ```
 */
export class ConsumerGroup<K = Uint8Array | null, V = Uint8Array | null> implements AsyncIterable<TypedConsumerRecord<K, V>> {
  /** The options in force, defaults filled in. @internal */
  readonly options: ResolvedConsumerGroupOptions;
  private readonly inner: Consumer;
  private readonly admin: Admin;
  /** Membership, commits and rebalances. */
  private readonly coordinator: ConsumerCoordinator;
  /** Hands out the owned partitions' records and says which were processed. */
  private readonly delivery: GroupDelivery<K, V>;
  private closing: Promise<void> | undefined;

  constructor(transport: Transport, options: ConsumerGroupOptions<K, V>, clock: Clock = systemClock) {
    this.options = resolveConsumerGroupOptions(options as ConsumerGroupOptions<unknown, unknown>);
    const o = this.options;
    const serde = <T>(s: SerdeLike<T> | undefined): Serde<T> | undefined => (s === undefined ? undefined : typeof s === 'function' ? s() : s);
    this.inner = new Consumer(transport, { clientId: o.clientId, maxWaitMs: o.maxWaitMs, autoOffsetReset: o.from, requestTimeoutMs: o.requestTimeoutMs }, clock);
    this.admin = new Admin(transport, { clock, requestTimeoutMs: o.requestTimeoutMs });
    this.coordinator = new ConsumerCoordinator(transport, o, clock, this.inner, this.admin);
    this.delivery = new GroupDelivery<K, V>(this.coordinator, serde(options.key), serde(options.value));
    this.coordinator.start(this.delivery);
  }

  /** The underlying consumer's metrics (records, bytes, fetch latency, lag), with the group and its rebalances. */
  metrics(): ConsumerMetrics {
    return { ...this.inner.metrics(), groupId: this.options.groupId, rebalances: this.coordinator.rebalances };
  }

  /** Rebalances completed (JoinGroup + SyncGroup) by this member. */
  get rebalances(): number {
    return this.coordinator.rebalances;
  }

  /** The member id the coordinator gave, or `''` before the first join. */
  get memberId(): string {
    return this.coordinator.memberId;
  }

  /** The generation this member last joined, or -1. */
  get generationId(): number {
    return this.coordinator.generationId;
  }

  /** Adds a rebalance handler. */
  on(event: RebalanceEvent, handler: RebalanceHandler): this {
    if (!['assigned', 'revoked', 'lost'].includes(event)) throw new TributaryError('INVALID_ARGUMENT', `event must be 'assigned', 'revoked' or 'lost', got ${String(event)}`, { option: 'event' });
    if (typeof handler !== 'function') throw new TributaryError('INVALID_ARGUMENT', 'a rebalance handler must be a function', { option: 'handler' });
    this.coordinator.on(event, handler);
    return this;
  }

  /** The partitions this member owns now. */
  assignment(): TopicPartition[] {
    return this.coordinator.assignment();
  }

  /** Resolves once this member has joined the group for the first time; rejects (CLIENT_CLOSED, or the error that ended it) if it ends first. */
  whenJoined(): Promise<void> {
    return this.coordinator.whenJoined();
  }

  /** Records one at a time; a record is processed once the loop body returns. One iteration (or `run`) at a time. */
  [Symbol.asyncIterator](): AsyncIterator<TypedConsumerRecord<K, V>> {
    return this.delivery.records();
  }

  /**
   * Calls a handler for every record (or every fetched batch) until the group is closed.
   * A record (or batch) is processed once its handler resolves.
   *
   * A handler that throws (or an error of the group) ends the member: it closes as
   * `close()` does (the `revoked` handlers run, what it processed is committed, it leaves
   * the group so the others take its partitions at once), and then `run` rejects with that
   * error. The record (or batch) whose handler threw is not committed: its partition's
   * next owner reads it again.
   */
  async run(handlers: RunHandlers<K, V>): Promise<void> {
    if (typeof handlers !== 'object' || handlers === null || (!('eachRecord' in handlers) && !('eachBatch' in handlers))) {
      throw new TributaryError('INVALID_ARGUMENT', 'run takes { eachRecord } or { eachBatch }', { option: 'handlers' });
    }
    try {
      await this.delivery.run(handlers);
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  /**
   * Commits offsets: without an argument, one past the last processed record of every
   * owned partition; with one, exactly those offsets. Rejects with the coordinator's error
   * (REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID when the group moved on).
   */
  async commit(offsets?: readonly OffsetToCommit[]): Promise<void> {
    if (offsets !== undefined) {
      if (!Array.isArray(offsets)) throw new TributaryError('INVALID_ARGUMENT', 'commit takes an array of { topic, partition, offset }', { option: 'offsets' });
      for (const o of offsets) {
        if (typeof o !== 'object' || o === null || !Number.isSafeInteger(o.offset) || o.offset < 0 || !Number.isInteger(o.partition) || o.partition < 0) {
          throw new TributaryError('INVALID_ARGUMENT', `an offset to commit must be { topic, partition, offset } with non-negative integers, got ${JSON.stringify(o)}`, { option: 'offsets' });
        }
        validateTopicName(o.topic);
      }
      return this.coordinator.sendCommit(offsets);
    }
    return this.coordinator.commitProcessed();
  }

  /**
   * Stops fetching these owned partitions' records until `resume`. As with Kafka's
   * `pause` (which takes effect at the next `poll`), records already handed out in the
   * batch in hand are still delivered; no new batch of these partitions follows.
   */
  pause(partitions: readonly TopicPartition[]): void {
    this.inner.pause(partitions);
  }

  /** Hands out these partitions' records again. */
  resume(partitions: readonly TopicPartition[]): void {
    this.inner.resume(partitions);
  }

  /** Moves an owned partition's position; the next commit of it will follow from there once records are processed. */
  async seek(tp: TopicPartition, target: SeekTarget): Promise<void> {
    const key = typeof tp === 'object' && tp !== null ? tpKey(tp.topic, tp.partition) : '';
    if (!this.coordinator.owned.has(key)) throw new TributaryError('INVALID_ARGUMENT', `${key === '' ? String(tp) : `${tp.topic}-${tp.partition}`} is not a partition assigned to this member`, { option: 'tp' });
    this.delivery.bump(key);
    await this.inner.seek(tp, target);
    const p = this.inner.position(tp);
    if (p !== undefined) this.coordinator.processed.set(key, p);
  }

  /** The log start offset of each partition, as {@link Consumer.beginningOffsets} (any partition, owned or not). */
  beginningOffsets(partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    return this.inner.beginningOffsets(partitions);
  }

  /** The high watermark of each partition, as {@link Consumer.endOffsets} (any partition, owned or not). */
  endOffsets(partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    return this.inner.endOffsets(partitions);
  }

  /** The earliest offset at or after each timestamp, or null, as {@link Consumer.offsetsForTimes} (any partition, owned or not). */
  offsetsForTimes(query: readonly TopicPartitionTimestamp[]): Promise<(OffsetAndTimestamp | null)[]> {
    return this.inner.offsetsForTimes(query);
  }

  /**
   * Each owned partition's position, high watermark and lag: the high watermarks from one
   * ListOffsets per leader node holding every owned partition it leads (as
   * `endOffsets`), not one per topic sent to a single node.
   */
  async lag(): Promise<PartitionLag[]> {
    const owned = [...this.coordinator.owned.values()];
    const ends = owned.length === 0 ? [] : await this.inner.endOffsets(owned);
    const out: PartitionLag[] = owned.map((tp, i) => {
      const hw = ends[i]!.offset;
      let position: number | undefined;
      try {
        position = this.inner.position(tp);
      } catch {
        position = undefined;
      }
      const from = position ?? this.coordinator.committed.get(tpKey(tp.topic, tp.partition)) ?? hw;
      return { topic: tp.topic, partition: tp.partition, position, highWatermark: hw, lag: Math.max(0, hw - from) };
    });
    return out.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  }

  /**
   * Leaves the group: the record (or batch) being processed finishes first (waited for up
   * to `rebalanceTimeoutMs`), the `revoked` handlers run, processed offsets are committed
   * (with `autoCommit`), and a LeaveGroup tells the coordinator at once, so the others
   * rebalance without waiting for this member's session to expire (a static member does
   * not leave: it keeps its place for `sessionTimeoutMs`). Iterations end; no timer of the
   * member is left behind. Inside a `for await` loop over the group, `break` before
   * awaiting `close()` (or do not await it there): the body being run is the record it
   * waits for. Inside a `run` handler it does not wait for that handler.
   */
  close(): Promise<void> {
    this.closing ??= this.leave();
    return this.closing;
  }

  private async leave(): Promise<void> {
    this.coordinator.stop();
    await this.delivery.settle(this.options.rebalanceTimeoutMs);
    await this.coordinator.leave();
  }

  /** `close()`, for `await using group = cluster.consumerGroup(...)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * Stops heartbeating and fetching without leaving or committing, as if the process died
   * (for failure tests): the coordinator removes the member once its session expires.
   * @internal
   */
  async kill(): Promise<void> {
    this.closing ??= Promise.resolve();
    this.coordinator.stop();
    await this.inner.close();
    this.admin.close();
  }
}
