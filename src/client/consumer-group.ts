/**
 * `ConsumerGroup`: a consumer that shares its topics' partitions with the other members
 * of a group through the group coordinator (Kafka's classic protocol: FindCoordinator,
 * JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetFetch, OffsetCommit), and commits
 * how far it got. The semantics (at-least-once, when commits happen, the rebalance events)
 * are in docs/design/consumer-groups.md.
 */
import { ApiKey } from '../protocol/api-keys.js';
import type * as P from '../protocol/index.js';
import type { Request, ResponseFor } from '../protocol/requests.js';
import type { Transport } from '../transport/transport.js';
import { systemClock, type Clock } from '../util/clock.js';
import type { ErrorCode } from '../util/error-codes.js';
import { TributaryError, isTributaryError } from '../util/errors.js';
import { deferred, type Deferred } from '../util/deferred.js';
import type { Logger } from '../util/logger.js';
import { Rng } from '../util/rng.js';
import { validateTopicName } from '../util/topic-name.js';
import { inProcessClientHost } from '../protocol/group.js';
import { Admin } from './admin.js';
import { commitFailed, rebalanced, type ConsumerMetrics } from './client-metrics.js';
import { Consumer, type SeekTarget, type TopicPartition } from './consumer.js';
import { computeAssignment, decodeAssignment, encodeAssignment, encodeSubscription, decodeSubscription } from './consumer-protocol.js';
import { GroupDelivery, tpKey } from './group-delivery.js';
import { backoffMs, withTimeout } from './retry.js';
import type { ResolvedConsumerGroupOptions } from './consumer-group-options.js';
import type { Serde } from './serde.js';
import type { SerdeLike, TypedConsumerRecord } from './topic.js';

/**
 * The partition assignors a group's leader can run; every member of a group must name the
 * same.
 *
 * @example
 * ```ts
 * import { Cluster, type AssignorName } from 'tributary-log';
 *
 * await using cluster = await Cluster.start();
 * await cluster.admin().createTopics([{ name: 'events', partitions: 6 }]);
 * const assignor: AssignorName = 'cooperative-sticky';
 * const group = cluster.consumerGroup({ groupId: 'audit', topics: ['events'], assignor });
 * await group.close();
 * ```
 */
export type AssignorName = 'range' | 'roundrobin' | 'cooperative-sticky';

/**
 * Options of a {@link ConsumerGroup}. Public names follow Kafka's consumer configs.
 *
 * @example
 * ```ts
 * import type { Cluster } from 'tributary-log';
 *
 * const o: Parameters<Cluster['consumerGroup']>[0] = { groupId: 'billing', topics: ['orders'], autoOffsetReset: 'earliest' };
 * console.log(o.groupId); // billing
 * ```
 */
export interface ConsumerGroupOptions<K, V> {
  /** `group.id`. Required. */
  readonly groupId: string;
  /** The topics to consume: names, or a pattern matched against every topic (checked every `metadataMaxAgeMs`). */
  readonly topics: readonly string[] | RegExp;
  /** `auto.offset.reset`: where a partition with no committed offset starts, as the consumer's option of that name. Default `'latest'`. */
  readonly autoOffsetReset?: 'earliest' | 'latest';
  /** @deprecated Use `autoOffsetReset` (one name for consumers and groups); `from` still works. */
  readonly from?: 'earliest' | 'latest';
  /** Decodes keys; without it keys are bytes. */
  readonly key?: SerdeLike<K>;
  /** Decodes values; without it values are bytes. */
  readonly value?: SerdeLike<V>;
  /** `partition.assignment.strategy`. Default `'range'` (Kafka's first). */
  readonly assignor?: AssignorName;
  /** `session.timeout.ms`: silent this long, the member is removed. Default 10000 (Kafka: 45000). */
  readonly sessionTimeoutMs?: number;
  /** `heartbeat.interval.ms`. Default 1000 (Kafka: 3000); must be below `sessionTimeoutMs`. */
  readonly heartbeatIntervalMs?: number;
  /** `max.poll.interval.ms`: how long a rebalance waits for this member to rejoin (it finishes its current record first). Default 60000 (Kafka: 300000). */
  readonly rebalanceTimeoutMs?: number;
  /** `group.instance.id`: a static member (KIP-345), which keeps its partitions across restarts within the session timeout. */
  readonly groupInstanceId?: string;
  /** `enable.auto.commit`: commit processed records' offsets every `autoCommitIntervalMs`, on revocation and on close. Default true. */
  readonly autoCommit?: boolean;
  /** `auto.commit.interval.ms`. Default 1000 (Kafka: 5000). */
  readonly autoCommitIntervalMs?: number;
  /** `client.id`. Default `'tributary-consumer'`. */
  readonly clientId?: string;
  /** `fetch.max.wait.ms`. Default 500. */
  readonly maxWaitMs?: number;
  /** `request.timeout.ms`. Default 30000. */
  readonly requestTimeoutMs?: number;
  /** `metadata.max.age.ms`: how often the leader checks for new topics and partitions. Default 5000. */
  readonly metadataMaxAgeMs?: number;
  /** Where the member logs (failed auto-commits, rebalances); default silent, or the cluster's logger for `cluster.consumerGroup`. */
  readonly logger?: Logger;
}

/**
 * A rebalance event: `assigned` partitions added; `revoked` partitions given up cleanly
 * (commit in the handler if you like); `lost` partitions taken away without a chance to
 * commit.
 *
 * @example
 * ```ts
 * import { Cluster, type RebalanceEvent } from 'tributary-log';
 *
 * await using cluster = await Cluster.start();
 * await cluster.admin().createTopics([{ name: 'events', partitions: 2 }]);
 * const group = cluster.consumerGroup({ groupId: 'audit', topics: ['events'] });
 * for (const event of ['assigned', 'revoked', 'lost'] satisfies RebalanceEvent[]) {
 *   group.on(event, (partitions) => console.log(event, partitions.length));
 * }
 * await group.close();
 * ```
 */
export type RebalanceEvent = 'assigned' | 'revoked' | 'lost';

/**
 * A rebalance handler; the group awaits it before it goes on, so a `revoked` handler can
 * commit before the partitions move.
 *
 * @example
 * ```ts
 * import { Cluster, type RebalanceHandler } from 'tributary-log';
 *
 * await using cluster = await Cluster.start();
 * await cluster.admin().createTopics([{ name: 'events' }]);
 * const group = cluster.consumerGroup({ groupId: 'audit', topics: ['events'], autoCommit: false });
 * const onRevoked: RebalanceHandler = async () => {
 *   await group.commit();
 * };
 * group.on('revoked', onRevoked);
 * await group.close();
 * ```
 */
export type RebalanceHandler = (partitions: TopicPartition[]) => void | Promise<void>;

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
 * A batch as `run({ eachBatch })` receives it.
 *
 * @example
 * ```ts
 * import { Cluster, serdes, type TypedConsumerBatch } from 'tributary-log';
 *
 * await using cluster = await Cluster.start();
 * await cluster.admin().createTopics([{ name: 'events' }]);
 * const group = cluster.consumerGroup({ groupId: 'audit', topics: ['events'], value: serdes.string });
 * const handle = (batch: TypedConsumerBatch<Uint8Array | null, string>) => console.log(batch.partition, batch.records.length);
 * void group.run({ eachBatch: handle });
 * await group.close();
 * ```
 */
export interface TypedConsumerBatch<K, V> {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly TypedConsumerRecord<K, V>[];
  readonly highWatermark: number;
}

/**
 * An offset to commit: the next offset the group should read for that partition.
 *
 * @example
 * ```ts
 * import { Cluster, type OffsetToCommit } from 'tributary-log';
 *
 * await using cluster = await Cluster.start();
 * await cluster.admin().createTopics([{ name: 'events' }]);
 * const group = cluster.consumerGroup({ groupId: 'audit', topics: ['events'], autoCommit: false });
 * await group.whenJoined();
 * const offsets: OffsetToCommit[] = [{ topic: 'events', partition: 0, offset: 0 }];
 * await group.commit(offsets);
 * await group.close();
 * ```
 */
export interface OffsetToCommit {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/**
 * What `run` calls: one record at a time, or one fetched batch at a time.
 *
 * @example
 * ```ts
 * import { Cluster, serdes, type RunHandlers } from 'tributary-log';
 *
 * await using cluster = await Cluster.start();
 * await cluster.admin().createTopics([{ name: 'events' }]);
 * const group = cluster.consumerGroup({ groupId: 'audit', topics: ['events'], value: serdes.string });
 * const handlers: RunHandlers<Uint8Array | null, string> = { eachRecord: (r) => console.log(r.offset, r.value) };
 * void group.run(handlers);
 * await group.close();
 * ```
 */
export type RunHandlers<K, V> = { readonly eachRecord: (record: TypedConsumerRecord<K, V>) => void | Promise<void> } | { readonly eachBatch: (batch: TypedConsumerBatch<K, V>) => void | Promise<void> };

import { resolveConsumerGroupOptions } from './consumer-group-options.js';
export { resolveConsumerGroupOptions };

// ------------------------------------------------------------------ the group

/** Errors that mean "find the coordinator again". */
const coordinatorErrors = new Set<ErrorCode>(['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS', 'NETWORK_EXCEPTION', 'REQUEST_TIMED_OUT']);

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
  /** Hands out the owned partitions' records and says which were processed. */
  private readonly delivery: GroupDelivery<K, V>;
  private readonly rng: Rng;
  private readonly handlers = new Map<RebalanceEvent, RebalanceHandler[]>();

  private coordinatorId: number | undefined;
  private memberIdValue = '';
  private generation = -1;
  /** The generation the owned partitions were last confirmed in. */
  private ownedGeneration = -1;
  private phase: 'unjoined' | 'joining' | 'stable' = 'unjoined';
  private rejoinNeeded = true;
  private lostNeeded = false;
  private readonly owned = new Map<string, TopicPartition>();
  /** Next offset to commit for each owned partition (one past the last processed record). */
  private readonly processed = new Map<string, number>();
  private readonly committed = new Map<string, number>();
  private subscribedTopics: string[] = [];
  private assignedCounts = new Map<string, number>();
  private closed = false;
  private closing: Promise<void> | undefined;
  /** Wakes every `sleep` at once (close, kill), so no timer of this member outlives it. */
  private readonly sleepers = new Set<() => void>();
  private fatal: TributaryError | undefined;
  private wake: Deferred = deferred();
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private heartbeatInFlight = false;
  private commitChain: Promise<void> = Promise.resolve();
  private readonly membership: Promise<void>;
  private readonly joinedOnce = deferred();
  /** Rebalances completed (JoinGroup + SyncGroup) by this member. */
  rebalances = 0;

  constructor(
    private readonly transport: Transport,
    options: ConsumerGroupOptions<K, V>,
    private readonly clock: Clock = systemClock,
  ) {
    this.options = resolveConsumerGroupOptions(options as ConsumerGroupOptions<unknown, unknown>);
    const o = this.options;
    const serde = <T>(s: SerdeLike<T> | undefined): Serde<T> | undefined => (s === undefined ? undefined : typeof s === 'function' ? s() : s);
    this.rng = new Rng((clock.now() ^ 0x6a09e667) >>> 0);
    this.inner = new Consumer(transport, { clientId: o.clientId, maxWaitMs: o.maxWaitMs, autoOffsetReset: o.from, requestTimeoutMs: o.requestTimeoutMs }, clock);
    const host = { inner: this.inner, owned: this.owned, processed: this.processed, isClosed: () => this.closed, fatal: () => this.fatal };
    this.delivery = new GroupDelivery<K, V>(host, serde(options.key), serde(options.value));
    this.admin = new Admin(transport, { clock, requestTimeoutMs: o.requestTimeoutMs });
    const every = (ms: number, fn: () => void) => {
      const t = setInterval(fn, ms);
      t.unref?.();
      this.timers.push(t);
    };
    every(o.heartbeatIntervalMs, () => void this.heartbeat());
    if (o.autoCommit) every(o.autoCommitIntervalMs, () => void this.commitProcessed().catch((err: unknown) => commitFailed(o.logger, o.groupId, err, 'auto-commit')));
    this.membership = this.runMembership();
  }

  /** The underlying consumer's metrics (records, bytes, fetch latency, lag), with the group and its rebalances. */
  metrics(): ConsumerMetrics {
    return { ...this.inner.metrics(), groupId: this.options.groupId, rebalances: this.rebalances };
  }

  /** The member id the coordinator gave, or `''` before the first join. */
  get memberId(): string {
    return this.memberIdValue;
  }

  /** The generation this member last joined, or -1. */
  get generationId(): number {
    return this.generation;
  }

  /** Adds a rebalance handler. */
  on(event: RebalanceEvent, handler: RebalanceHandler): this {
    if (!['assigned', 'revoked', 'lost'].includes(event)) throw new TributaryError('INVALID_ARGUMENT', `event must be 'assigned', 'revoked' or 'lost', got ${String(event)}`, { option: 'event' });
    if (typeof handler !== 'function') throw new TributaryError('INVALID_ARGUMENT', 'a rebalance handler must be a function', { option: 'handler' });
    (this.handlers.get(event) ?? this.handlers.set(event, []).get(event)!).push(handler);
    return this;
  }

  /** The partitions this member owns now. */
  assignment(): TopicPartition[] {
    return [...this.owned.values()].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  }

  /** Resolves once this member has joined the group for the first time. */
  whenJoined(): Promise<void> {
    return this.joinedOnce.promise;
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
      await this.delivery.run(handlers, this);
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
      return this.sendCommit(offsets);
    }
    return this.commitProcessed();
  }

  /** Stops handing out (and fetching) these owned partitions' records until `resume`. */
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
    if (!this.owned.has(key)) throw new TributaryError('INVALID_ARGUMENT', `${key === '' ? String(tp) : `${tp.topic}-${tp.partition}`} is not a partition assigned to this member`, { option: 'tp' });
    this.delivery.bump(key);
    await this.inner.seek(tp, target);
    const p = this.inner.position(tp);
    if (p !== undefined) this.processed.set(key, p);
  }

  /** Each owned partition's position, high watermark (ListOffsets) and lag. */
  async lag(): Promise<PartitionLag[]> {
    const out: PartitionLag[] = [];
    const byTopic = new Map<string, TopicPartition[]>();
    for (const tp of this.owned.values()) (byTopic.get(tp.topic) ?? byTopic.set(tp.topic, []).get(tp.topic)!).push(tp);
    for (const [topic, tps] of byTopic) {
      const ends = await this.admin.listOffsets(topic, 'latest');
      for (const tp of tps) {
        const hw = ends.find((e) => e.partition === tp.partition)?.offset ?? 0;
        let position: number | undefined;
        try {
          position = this.inner.position(tp);
        } catch {
          position = undefined;
        }
        const from = position ?? this.committed.get(tpKey(tp.topic, tp.partition)) ?? hw;
        out.push({ topic, partition: tp.partition, position, highWatermark: hw, lag: Math.max(0, hw - from) });
      }
    }
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
    this.stop();
    await this.delivery.settle(this.options.rebalanceTimeoutMs, this);
    const owned = this.assignment();
    if (owned.length > 0 && this.generation >= 0) {
      await this.emit('revoked', owned).catch(() => undefined);
      if (this.options.autoCommit) await this.commitProcessed().catch((err: unknown) => commitFailed(this.options.logger, this.options.groupId, err, 'commit on leaving'));
    }
    if (this.memberIdValue !== '' && this.options.groupInstanceId === null && this.coordinatorId !== undefined) {
      await withTimeout(
        this.send(this.coordinatorId, { apiKey: ApiKey.LeaveGroup, groupId: this.options.groupId, members: [{ memberId: this.memberIdValue, groupInstanceId: null, reason: 'the consumer is closing' }] }),
        this.options.requestTimeoutMs,
        'LeaveGroup',
      ).catch(() => undefined);
    }
    this.owned.clear();
    await this.inner.close();
    this.admin.close();
    // Not awaited: a static member's JoinGroup may stay parked until the rebalance ends.
    void this.membership.catch(() => undefined);
  }

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
    this.stop();
    await this.inner.close();
    this.admin.close();
  }

  private stop(): void {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.wake.resolve();
    for (const wake of [...this.sleepers]) wake();
  }

  /** Waits `ms`, or less if `wake` resolves or the member stops; leaves no timer behind. */
  private sleep(ms: number, wake?: Deferred): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
      void wake?.promise.then(done);
    });
  }

  private fail(err: TributaryError): void {
    this.fatal ??= err;
    void this.inner.close();
  }

  // ------------------------------------------------------------------ commits

  /** Commits the processed offsets of the owned partitions that moved since their last commit. */
  private commitProcessed(): Promise<void> {
    const offsets: OffsetToCommit[] = [];
    for (const [key, offset] of this.processed) {
      const tp = this.owned.get(key);
      if (tp === undefined || this.committed.get(key) === offset) continue;
      offsets.push({ topic: tp.topic, partition: tp.partition, offset });
    }
    if (offsets.length === 0) return Promise.resolve();
    return this.sendCommit(offsets);
  }

  /** Sends commits one at a time, in order, so an older commit never lands after a newer one. */
  private sendCommit(offsets: readonly OffsetToCommit[]): Promise<void> {
    const run = this.commitChain.then(() => this.doCommit(offsets));
    this.commitChain = run.catch(() => undefined);
    return run;
  }

  private async doCommit(offsets: readonly OffsetToCommit[]): Promise<void> {
    const byTopic = new Map<string, P.OffsetCommitRequestPartition[]>();
    for (const o of offsets) (byTopic.get(o.topic) ?? byTopic.set(o.topic, []).get(o.topic)!).push({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, committedMetadata: null });
    const request: P.OffsetCommitRequest = {
      apiKey: ApiKey.OffsetCommit,
      groupId: this.options.groupId,
      generationId: this.generation,
      memberId: this.memberIdValue,
      groupInstanceId: this.options.groupInstanceId,
      topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
    };
    const res = await this.toCoordinator(request);
    let error: ErrorCode = 'NONE';
    for (const t of res.topics) {
      for (const p of t.partitions) {
        if (p.errorCode === 'NONE') this.committed.set(tpKey(t.name, p.partitionIndex), offsets.find((o) => o.topic === t.name && o.partition === p.partitionIndex)!.offset);
        else error = p.errorCode;
      }
    }
    // A fenced commit says the group moved on; the heartbeat finds out what to do about it.
    if (error !== 'NONE') {
      throw new TributaryError(error, `committing offsets of group ${this.options.groupId} failed: ${error}`);
    }
  }

  // ------------------------------------------------------------------ requests

  private send<R extends Request>(node: number, request: R): Promise<ResponseFor<R>> {
    return this.transport.send(node, request);
  }

  /** Finds the group's coordinator, retrying until it is known (or the group closes). */
  private async findCoordinator(): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      if (this.coordinatorId !== undefined) return this.coordinatorId;
      const nodes = this.transport.bootstrapNodes();
      const node = nodes[attempt % Math.max(1, nodes.length)];
      if (node !== undefined) {
        try {
          const res = await withTimeout(this.send(node, { apiKey: ApiKey.FindCoordinator, keyType: 0, coordinatorKeys: [this.options.groupId] }), this.options.requestTimeoutMs, 'FindCoordinator');
          const c = res.coordinators[0];
          if (c !== undefined && c.errorCode === 'NONE') {
            this.coordinatorId = c.nodeId;
            return c.nodeId;
          }
          if (c !== undefined && c.errorCode === 'INVALID_GROUP_ID') throw new TributaryError('INVALID_GROUP_ID', `group id ${JSON.stringify(this.options.groupId)} is invalid`);
        } catch (err) {
          if (!isTributaryError(err) || !err.retriable) throw err;
        }
      }
      // A closing member asks once (for its last commit), and does not wait to ask again.
      if (this.closed) throw new TributaryError('CLIENT_CLOSED', 'the consumer group is closed');
      await this.sleep(backoffMs(attempt, 50, 1000, this.rng));
    }
  }

  /** A request to the coordinator, finding it again on coordinator errors, for up to `requestTimeoutMs`. */
  private async toCoordinator<R extends P.OffsetCommitRequest | P.OffsetFetchRequest>(request: R): Promise<ResponseFor<R>> {
    const deadline = this.clock.monotonic() + this.options.requestTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      let code: ErrorCode;
      try {
        const node = await this.findCoordinator();
        const res = await withTimeout(this.send(node, request), this.options.requestTimeoutMs, `${request.apiKey === ApiKey.OffsetCommit ? 'OffsetCommit' : 'OffsetFetch'}`);
        code = 'errorCode' in res ? (res as P.OffsetFetchResponse).errorCode : ((res as P.OffsetCommitResponse).topics[0]?.partitions[0]?.errorCode ?? 'NONE');
        if (!coordinatorErrors.has(code)) return res;
      } catch (err) {
        if (!isTributaryError(err) || !coordinatorErrors.has(err.code)) throw err;
        code = err.code;
      }
      this.coordinatorId = undefined;
      if (this.clock.monotonic() >= deadline) throw new TributaryError(code, `the coordinator of group ${this.options.groupId} did not answer: ${code}`);
      await this.sleep(backoffMs(attempt, 50, 1000, this.rng));
    }
  }

  // ------------------------------------------------------------------ membership

  private requestRejoin(lost: boolean): void {
    this.rejoinNeeded = true;
    if (lost) this.lostNeeded = true;
    this.wake.resolve();
  }

  private async heartbeat(): Promise<void> {
    if (this.closed || this.phase !== 'stable' || this.heartbeatInFlight || this.generation < 0) return;
    const node = this.coordinatorId;
    if (node === undefined) return;
    this.heartbeatInFlight = true;
    const sentAt = this.clock.monotonic();
    let again = false;
    try {
      const generation = this.generation;
      const res = await withTimeout(
        this.send(node, { apiKey: ApiKey.Heartbeat, groupId: this.options.groupId, generationId: generation, memberId: this.memberIdValue, groupInstanceId: this.options.groupInstanceId }),
        this.options.sessionTimeoutMs,
        'Heartbeat',
      );
      if (this.generation !== generation || this.phase !== 'stable') return;
      const code = res.errorCode;
      // A coordinator that holds heartbeats (Tributary's does, until the group changes or
      // its hold runs out) answers late: heartbeat again at once, so that one is always
      // waiting there to bring news of a rebalance. One that answers at once is asked
      // again at the next interval, as Kafka's clients do.
      again = code === 'NONE' && this.clock.monotonic() - sentAt >= Math.min(50, this.options.heartbeatIntervalMs / 4);
      if (code === 'REBALANCE_IN_PROGRESS') this.requestRejoin(false);
      else if (code === 'UNKNOWN_MEMBER_ID' || code === 'ILLEGAL_GENERATION') this.requestRejoin(true);
      else if (code === 'FENCED_INSTANCE_ID') this.fail(new TributaryError(code, `another member took group.instance.id ${this.options.groupInstanceId}`));
      else if (coordinatorErrors.has(code)) this.coordinatorId = undefined;
    } catch (err) {
      if (isTributaryError(err) && coordinatorErrors.has(err.code)) this.coordinatorId = undefined;
    } finally {
      this.heartbeatInFlight = false;
      if (again && !this.closed) setImmediate(() => void this.heartbeat());
    }
  }

  /** The membership loop: join when needed, watch the subscription otherwise. */
  private async runMembership(): Promise<void> {
    let failures = 0;
    let checkedAt = this.clock.monotonic();
    while (!this.closed) {
      if (!this.rejoinNeeded) {
        const wake = this.wake;
        await this.sleep(Math.max(1, this.options.metadataMaxAgeMs - (this.clock.monotonic() - checkedAt)), wake);
        if (this.wake === wake && !this.closed && !this.rejoinNeeded) this.wake = deferred();
        if (this.clock.monotonic() - checkedAt >= this.options.metadataMaxAgeMs && !this.closed) {
          checkedAt = this.clock.monotonic();
          if (await this.subscriptionChanged().catch(() => false)) this.rejoinNeeded = true;
        }
        continue;
      }
      try {
        await this.joinOnce();
        failures = 0;
        this.wake = deferred();
      } catch (err) {
        if (this.closed) return;
        const e = isTributaryError(err) ? err : new TributaryError('UNKNOWN_SERVER_ERROR', String(err), { cause: err });
        if (!e.retriable && !coordinatorErrors.has(e.code) && !['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'REBALANCE_IN_PROGRESS', 'MEMBER_ID_REQUIRED'].includes(e.code)) {
          this.fail(e);
          return;
        }
        if (coordinatorErrors.has(e.code)) this.coordinatorId = undefined;
        // MEMBER_ID_REQUIRED is the protocol's first step (KIP-394), not a failure: rejoin at once.
        if (e.code !== 'MEMBER_ID_REQUIRED') await this.sleep(backoffMs(failures++, 50, 1000, this.rng));
      }
    }
  }

  /** Whether the topics this member subscribes to (a pattern), or their partition counts (the leader), changed. */
  private async subscriptionChanged(): Promise<boolean> {
    const topics = await this.resolveTopics();
    if (topics.join('\u0000') !== this.subscribedTopics.join('\u0000')) return true;
    if (this.assignedCounts.size === 0) return false;
    const counts = await this.partitionCounts([...this.assignedCounts.keys()]);
    for (const [t, n] of this.assignedCounts) if ((counts.get(t) ?? 0) !== n) return true;
    return false;
  }

  private async resolveTopics(): Promise<string[]> {
    const t = this.options.topics;
    if (!(t instanceof RegExp)) return [...t].sort();
    const all = await this.admin.listTopics();
    return all.filter((name) => !name.startsWith('__') && t.test(name)).sort();
  }

  private async partitionCounts(topics: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (topics.length === 0) return counts;
    const nodes = this.transport.bootstrapNodes();
    const res = await withTimeout(this.send(nodes[this.rng.int(Math.max(1, nodes.length))] ?? 1, { apiKey: ApiKey.Metadata, topics: topics.map((name) => ({ name })), allowAutoTopicCreation: false }), this.options.requestTimeoutMs, 'Metadata');
    for (const t of res.topics) if (t.errorCode === 'NONE' && t.name !== null && t.partitions.length > 0) counts.set(t.name, t.partitions.length);
    return counts;
  }

  private async joinOnce(): Promise<void> {
    const o = this.options;
    const cooperative = o.assignor === 'cooperative-sticky';
    if (this.lostNeeded) {
      this.lostNeeded = false;
      await this.lose(this.assignment());
    }
    // Eager protocols give everything up before rejoining; cooperative keeps consuming.
    if (!cooperative && this.owned.size > 0) await this.revoke(this.assignment());
    const node = await this.findCoordinator();
    this.subscribedTopics = await this.resolveTopics();
    const subscription = encodeSubscription({ topics: this.subscribedTopics, userData: null, ownedPartitions: cooperative ? this.assignment() : [], generationId: cooperative ? this.ownedGeneration : -1, rackId: null });
    this.phase = 'joining';
    try {
      const join = await withTimeout(
        this.send(node, {
          apiKey: ApiKey.JoinGroup,
          groupId: o.groupId,
          sessionTimeoutMs: o.sessionTimeoutMs,
          rebalanceTimeoutMs: o.rebalanceTimeoutMs,
          memberId: this.memberIdValue,
          groupInstanceId: o.groupInstanceId,
          protocolType: 'consumer',
          protocols: [{ name: o.assignor, metadata: subscription }],
          reason: null,
          ...(this.transport.clusterRunId !== undefined ? { clientHost: inProcessClientHost(this.transport.clusterRunId) } : {}),
        }),
        o.rebalanceTimeoutMs + o.requestTimeoutMs,
        'JoinGroup',
      );
      if (join.errorCode === 'MEMBER_ID_REQUIRED') {
        this.memberIdValue = join.memberId;
        throw new TributaryError('MEMBER_ID_REQUIRED', 'rejoin with the member id given');
      }
      if (join.errorCode === 'UNKNOWN_MEMBER_ID' || join.errorCode === 'FENCED_INSTANCE_ID') {
        if (join.errorCode === 'FENCED_INSTANCE_ID') throw new TributaryError(join.errorCode, `another member took group.instance.id ${o.groupInstanceId}`);
        this.memberIdValue = '';
        this.lostNeeded = true;
      }
      if (join.errorCode !== 'NONE') throw new TributaryError(join.errorCode, `JoinGroup of group ${o.groupId}: ${join.errorCode}`);
      this.memberIdValue = join.memberId;
      if (cooperative && this.owned.size > 0 && join.generationId !== this.ownedGeneration + 1) {
        // A generation passed without us: what we owned may have been given to others.
        await this.lose(this.assignment());
      }
      let assignments: P.SyncGroupRequestAssignment[] = [];
      if (join.leader === join.memberId && !(join as { skipAssignment?: boolean }).skipAssignment) {
        const members = join.members.map((m) => ({ memberId: m.memberId, subscription: decodeSubscription(m.metadata) }));
        const counts = await this.partitionCounts([...new Set(members.flatMap((m) => m.subscription.topics))]);
        const plan = computeAssignment((join.protocolName as AssignorName | null) ?? o.assignor, members, counts);
        assignments = members.map((m) => ({ memberId: m.memberId, assignment: encodeAssignment({ partitions: plan.get(m.memberId) ?? [], userData: null }) }));
        this.assignedCounts = new Map([...new Set(members.flatMap((m) => m.subscription.topics))].map((t) => [t, counts.get(t) ?? 0]));
      } else {
        this.assignedCounts = new Map();
      }
      const sync = await withTimeout(
        this.send(node, { apiKey: ApiKey.SyncGroup, groupId: o.groupId, generationId: join.generationId, memberId: join.memberId, groupInstanceId: o.groupInstanceId, protocolType: 'consumer', protocolName: join.protocolName, assignments }),
        o.rebalanceTimeoutMs + o.requestTimeoutMs,
        'SyncGroup',
      );
      if (sync.errorCode === 'UNKNOWN_MEMBER_ID') {
        this.memberIdValue = '';
        this.lostNeeded = true;
      }
      if (sync.errorCode === 'ILLEGAL_GENERATION') this.lostNeeded = true;
      if (sync.errorCode !== 'NONE') throw new TributaryError(sync.errorCode, `SyncGroup of group ${o.groupId}: ${sync.errorCode}`);
      this.generation = join.generationId;
      this.rejoinNeeded = false;
      this.phase = 'stable';
      this.rebalances++;
      // Heartbeat at once in the new generation: a coordinator that holds heartbeats then
      // has one waiting to bring news of the next rebalance.
      setImmediate(() => void this.heartbeat());
      try {
        await this.takeAssignment(decodeAssignment(sync.assignment).partitions, join.generationId, cooperative);
      } catch (err) {
        this.rejoinNeeded = true;
        throw err;
      }
      this.joinedOnce.resolve();
    } finally {
      if (this.phase === 'joining') this.phase = this.generation >= 0 ? 'stable' : 'unjoined';
    }
  }

  /** Gives up what the new assignment lacks and takes what it adds. */
  private async takeAssignment(assigned: readonly TopicPartition[], generationId: number, cooperative: boolean): Promise<void> {
    const next = new Set(assigned.map((tp) => tpKey(tp.topic, tp.partition)));
    const revoked = this.assignment().filter((tp) => !next.has(tpKey(tp.topic, tp.partition)));
    const added = assigned.filter((tp) => !this.owned.has(tpKey(tp.topic, tp.partition)));
    if (revoked.length > 0) {
      await this.revoke(revoked);
      // KIP-429: what this member gave up goes to its new owner in the next rebalance.
      if (cooperative) this.rejoinNeeded = true;
    }
    this.ownedGeneration = generationId;
    // Reported before the new partitions are taken: records of them may be handed out (and
    // the group closed) while `assign` still runs, and the event must come first.
    rebalanced(this.options.logger, this.options.groupId, this.memberIdValue, generationId, assigned);
    if (added.length > 0) await this.assign(added);
  }

  /** Waits for the record being processed of these partitions, runs the `revoked` handlers, commits, gives them up. */
  private async revoke(tps: readonly TopicPartition[]): Promise<void> {
    const keys = tps.map((tp) => tpKey(tp.topic, tp.partition));
    try {
      await this.delivery.stopHandingOut(keys);
      await this.emit('revoked', [...tps]).catch(() => undefined);
      if (this.options.autoCommit) await this.commitProcessed().catch((err: unknown) => commitFailed(this.options.logger, this.options.groupId, err, 'commit before giving partitions up'));
    } finally {
      this.delivery.release(keys);
      for (const k of keys) this.drop(k);
      this.inner.assign(this.assignment());
    }
  }

  /** Partitions taken away without a commit. */
  private async lose(tps: readonly TopicPartition[]): Promise<void> {
    if (tps.length === 0) return;
    for (const tp of tps) this.drop(tpKey(tp.topic, tp.partition));
    this.inner.assign(this.assignment());
    await this.emit('lost', [...tps]).catch(() => undefined);
  }

  private drop(key: string): void {
    this.owned.delete(key);
    this.processed.delete(key);
    this.committed.delete(key);
    this.delivery.bump(key);
  }

  /** Takes new partitions: their committed offsets (or `from`), then the `assigned` handlers. */
  private async assign(tps: readonly TopicPartition[]): Promise<void> {
    const byTopic = new Map<string, number[]>();
    for (const tp of tps) (byTopic.get(tp.topic) ?? byTopic.set(tp.topic, []).get(tp.topic)!).push(tp.partition);
    const res = await this.toCoordinator({ apiKey: ApiKey.OffsetFetch, groupId: this.options.groupId, topics: [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })) });
    if (res.errorCode !== 'NONE') throw new TributaryError(res.errorCode, `OffsetFetch of group ${this.options.groupId}: ${res.errorCode}`);
    for (const tp of tps) {
      const key = tpKey(tp.topic, tp.partition);
      this.owned.set(key, tp);
      this.delivery.bump(key);
    }
    this.inner.assign(this.assignment());
    await Promise.all(
      tps.map(async (tp) => {
        const key = tpKey(tp.topic, tp.partition);
        const c = res.topics.find((t) => t.name === tp.topic)?.partitions.find((p) => p.partitionIndex === tp.partition);
        const offset = c !== undefined && c.errorCode === 'NONE' && c.committedOffset >= 0 ? c.committedOffset : undefined;
        if (offset !== undefined) {
          this.committed.set(key, offset);
          this.processed.set(key, offset);
        }
        await this.inner.seek(tp, offset ?? this.options.from);
        const p = this.inner.position(tp);
        if (offset === undefined && p !== undefined) this.processed.set(key, p);
      }),
    );
    await this.emit('assigned', [...tps]).catch(() => undefined);
  }

  private async emit(event: RebalanceEvent, tps: TopicPartition[]): Promise<void> {
    for (const h of this.handlers.get(event) ?? []) await h(tps);
  }
}
