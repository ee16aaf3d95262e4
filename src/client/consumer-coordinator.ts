/**
 * The membership half of a consumer group member, Kafka's `ConsumerCoordinator` (with the
 * `AbstractCoordinator` under it), as the shell of `MembershipCore` (`core/membership-core.ts`):
 * the core decides the join sequence (FindCoordinator, JoinGroup, the leader's assignment,
 * SyncGroup, what to revoke, lose and take) and the heartbeats; this shell sends the
 * requests it returns, keeps its timers on the member's clock, runs the steps that await
 * the application (the `revoked`, `assigned` and `lost` handlers, the commit before
 * partitions are given up, OffsetFetch and seeks for new ones), and feeds every outcome
 * back. Commits (OffsetCommit, OffsetFetch) are the shell's. Records are handed out by
 * `group-delivery.ts`; `consumer-group.ts` is the public face over both. The semantics are
 * in docs/design/consumer-groups.md.
 * @internal
 */
import { ApiKey } from '../protocol/api-keys.js';
import type * as P from '../protocol/index.js';
import type { Request, ResponseFor } from '../protocol/requests.js';
import type { Transport } from '../transport/transport.js';
import { startTimer, stopTimer, type Clock, type ClockTimer } from '../util/clock.js';
import type { ErrorCode } from '../util/error-codes.js';
import { TributaryError, isTributaryError } from '../util/errors.js';
import { deferred } from '../util/deferred.js';
import { Rng } from '../util/rng.js';
import { inProcessClientHost } from '../protocol/group.js';
import type { Admin } from './admin.js';
import { commitFailed, rebalanced } from './client-metrics.js';
import type { Consumer, TopicPartition } from './consumer.js';
import type { AssignorName, ResolvedConsumerGroupOptions } from './consumer-group-options.js';
import { computeAssignment, decodeAssignment, encodeAssignment, encodeSubscription, decodeSubscription } from './consumer-protocol.js';
import { tpKey, type DeliveryHost } from './group-delivery.js';
import { coordinatorErrors } from './core/membership.js';
import { MembershipCore, type MembershipAction, type MembershipTimer } from './core/membership-core.js';
import { backoffMs, withTimeout } from './retry.js';
import { ProcessedOffsets } from './processed-offsets.js';

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

/** What membership asks of delivery when partitions change hands. @internal */
export interface Handover {
  /** Stops handing out these partitions' records; resolves once the one in flight, if theirs, is done. */
  stopHandingOut(keys: readonly string[]): Promise<void>;
  /** Undoes `stopHandingOut` once the partitions are gone. */
  release(keys: readonly string[]): void;
  /** A new epoch for a partition: records fetched before are dropped. */
  bump(key: string): void;
  /** The member stopped (`isClosed()` turned true): no record is handed out from now on. */
  stopped(): void;
}


/**
 * One member's membership: the core (`MembershipCore`: coordinator, member id, generation,
 * the owned partitions, the join sequence and heartbeats) and how far the member processed
 * and committed each partition. `start` begins the heartbeat and auto-commit timers and the
 * first join; `leave` (close) and `stop` (kill) end them.
 * @internal
 */
export class ConsumerCoordinator implements DeliveryHost {
  private readonly rng: Rng;
  private readonly handlers = new Map<RebalanceEvent, RebalanceHandler[]>();
  private handover!: Handover;
  /** The decisions: what to send, when, and what each answer means. */
  readonly core: MembershipCore;

  /** Next offset to commit for each owned partition (one past the last processed record). */
  readonly processed = new ProcessedOffsets();
  /** The last offset committed for each owned partition. */
  readonly committed = new Map<string, number>();
  private closed = false;
  /** Set once `leave` is done: commits are refused from then on (the member has no partitions, no generation). */
  private left = false;
  /** Wakes every `sleep` at once (close, kill), so no timer of this member outlives it. */
  private readonly sleepers = new Set<() => void>();
  private fatalError: TributaryError | undefined;
  /** The heartbeat and auto-commit timers, and the core's, by name. */
  private readonly timers = new Map<string, ClockTimer>();
  /** Requests waiting for the core's coordinator lookup (commits, OffsetFetch). */
  private readonly coordinatorWaiters: { resolve: (node: number) => void; reject: (err: unknown) => void }[] = [];
  private commitChain: Promise<void> = Promise.resolve();
  private readonly joinedOnce = deferred();
  private joined = false;
  /** Resolved when the member stops (closed, crashed, or ended by a fatal error): `whenJoined` must not wait past it. */
  private readonly ended = deferred();
  /** Resolves `leave` once the core says the member left. */
  private leftFn: (() => void) | undefined;

  constructor(
    private readonly transport: Transport,
    private readonly options: ResolvedConsumerGroupOptions,
    /** The member's time: every timer and timeout of the member is this clock's. */
    readonly clock: Clock,
    /** The member's fetcher: membership assigns it the owned partitions and seeks them. */
    readonly inner: Consumer,
    private readonly admin: Admin,
  ) {
    this.rng = new Rng((clock.now() ^ 0x6a09e667) >>> 0);
    const o = options;
    this.core = new MembershipCore(
      {
        groupId: o.groupId,
        groupInstanceId: o.groupInstanceId,
        assignor: o.assignor,
        cooperative: o.assignor === 'cooperative-sticky',
        sessionTimeoutMs: o.sessionTimeoutMs,
        rebalanceTimeoutMs: o.rebalanceTimeoutMs,
        requestTimeoutMs: o.requestTimeoutMs,
        heartbeatIntervalMs: o.heartbeatIntervalMs,
        metadataMaxAgeMs: o.metadataMaxAgeMs,
        clientHost: transport.clusterRunId !== undefined ? inProcessClientHost(transport.clusterRunId) : undefined,
      },
      {
        bootstrapNodes: () => transport.bootstrapNodes(),
        encodeSubscription,
        decodeAssignment: (bytes) => decodeAssignment(bytes).partitions,
        rng: this.rng,
      },
    );
  }

  /** Begins the heartbeat and auto-commit timers and the first join; `handover` is the member's delivery. */
  start(handover: Handover): void {
    this.handover = handover;
    const o = this.options;
    // Every timer is the clock's: on a simulated clock with timers the whole member runs
    // in simulated time (test/sim/client-sim.ts), on the system clock these are unref'd
    // real timers that never keep the process alive.
    const every = (name: string, ms: number, fn: () => void) => {
      const arm = (): void => {
        if (this.closed) return;
        this.timers.set(name, startTimer(this.clock, ms, () => {
          arm();
          fn();
        }, true));
      };
      arm();
    };
    every('heartbeat', o.heartbeatIntervalMs, () => this.run(this.core.heartbeat(this.clock.monotonic())));
    if (o.autoCommit) every('auto-commit', o.autoCommitIntervalMs, () => void this.commitProcessed().catch((err: unknown) => commitFailed(o.logger, o.groupId, err, 'auto-commit')));
    this.run(this.core.start(this.clock.monotonic()));
  }

  /** Rebalances completed (JoinGroup + SyncGroup) by this member. */
  get rebalances(): number {
    return this.core.rebalances;
  }

  /** The owned partitions, by `tpKey` (the core's). */
  get owned(): ReadonlyMap<string, TopicPartition> {
    return this.core.owned;
  }

  isClosed(): boolean {
    return this.closed;
  }

  /** The error that ended the member, if one did. */
  fatal(): TributaryError | undefined {
    return this.fatalError;
  }

  get memberId(): string {
    return this.core.memberId;
  }

  get generationId(): number {
    return this.core.generation;
  }

  on(event: RebalanceEvent, handler: RebalanceHandler): void {
    (this.handlers.get(event) ?? this.handlers.set(event, []).get(event)!).push(handler);
  }

  /** The partitions this member owns now, sorted. */
  assignment(): TopicPartition[] {
    return this.core.assignment();
  }

  whenJoined(): Promise<void> {
    if (this.joined) return Promise.resolve();
    const ended = this.ended.promise.then(() => {
      if (!this.joined) throw this.fatalError ?? new TributaryError('CLIENT_CLOSED', `consumer group "${this.options.groupId}": the member closed before it joined the group`);
    });
    return Promise.race([this.joinedOnce.promise, ended]);
  }

  /**
   * Leaves the group once the record in flight is done (the caller waited for it): the
   * `revoked` handlers, a commit of what was processed (with `autoCommit`), LeaveGroup
   * (not for a static member), then the inner consumer closes.
   */
  async leave(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.leftFn = resolve;
      this.run(this.core.leave());
    });
    this.left = true;
    await this.inner.close();
    this.admin.close();
  }

  /** Stops the timers, the join and every wait, without leaving or committing. */
  stop(): void {
    this.closed = true;
    this.handover.stopped();
    this.ended.resolve();
    for (const t of this.timers.values()) stopTimer(this.clock, t);
    this.timers.clear();
    for (const wake of [...this.sleepers]) wake();
    this.run(this.core.stop(this.clock.monotonic()));
  }

  /** Waits `ms`, or less if the member stops; leaves no timer behind. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        stopTimer(this.clock, timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = startTimer(this.clock, ms, done);
      this.sleepers.add(done);
    });
  }

  private fail(err: TributaryError): void {
    this.fatalError ??= err;
    this.ended.resolve();
    void this.inner.close();
  }

  // ------------------------------------------------------------------ the core's actions

  /** Does what the core returned, in order (its contract: `core/membership-core.ts`). */
  private run(actions: readonly MembershipAction[]): void {
    for (const a of actions) {
      switch (a.kind) {
        case 'send': {
          const id = a.id;
          withTimeout(this.send(a.node, a.request), a.timeoutMs, a.what, this.clock).then(
            (response) => this.run(this.core.answered(id, response, this.clock.monotonic())),
            (err: unknown) => this.run(this.core.requestFailed(id, asTributaryError(err), this.clock.monotonic())),
          );
          break;
        }
        case 'timer':
          this.startCoreTimer(a.timer, a.afterMs);
          break;
        case 'revoke':
          this.revoke(a.partitions).then(
            () => this.run(this.core.revokeDone(this.clock.monotonic())),
            (err: unknown) => this.run(this.core.stepFailed(asTributaryError(err), this.clock.monotonic())),
          );
          break;
        case 'leave-revoke':
          void this.leaveRevoke(a.partitions).then(() => this.run(this.core.leaveRevokeDone()));
          break;
        case 'left':
          this.leftFn?.();
          break;
        case 'lose':
          this.lose(a.partitions).then(
            () => this.run(this.core.loseDone(this.clock.monotonic())),
            (err: unknown) => this.run(this.core.stepFailed(asTributaryError(err), this.clock.monotonic())),
          );
          break;
        case 'assign':
          this.assign(a.partitions).then(
            () => this.run(this.core.assignDone(this.clock.monotonic())),
            (err: unknown) => this.run(this.core.stepFailed(asTributaryError(err), this.clock.monotonic())),
          );
          break;
        case 'resolve-topics':
          this.resolveTopics().then(
            (topics) => this.run(this.core.topicsResolved(topics)),
            (err: unknown) => this.run(this.core.stepFailed(asTributaryError(err), this.clock.monotonic())),
          );
          break;
        case 'compute-assignment':
          this.computeAssignment(a.join).then(
            ({ assignments, counts }) => this.run(this.core.assignmentComputed(assignments, counts)),
            (err: unknown) => this.run(this.core.stepFailed(asTributaryError(err), this.clock.monotonic())),
          );
          break;
        case 'check-subscription':
          void this.subscriptionChanged()
            .catch(() => false)
            .then((changed) => this.run(this.core.subscriptionChecked(changed, this.clock.monotonic())));
          break;
        case 'rebalanced':
          rebalanced(this.options.logger, this.options.groupId, a.memberId, a.generationId, a.assigned);
          break;
        case 'joined':
          this.joined = true;
          this.joinedOnce.resolve();
          break;
        case 'coordinator':
          for (const w of this.coordinatorWaiters.splice(0)) w.resolve(a.node);
          break;
        case 'coordinator-failed':
          for (const w of this.coordinatorWaiters.splice(0)) w.reject(a.error);
          break;
        case 'fatal':
          this.fail(a.error);
          break;
      }
    }
  }

  private startCoreTimer(name: MembershipTimer, ms: number): void {
    if (this.closed) return;
    stopTimer(this.clock, this.timers.get(name));
    this.timers.set(name, startTimer(this.clock, ms, () => {
      this.timers.delete(name);
      this.run(this.core.timerFired(name, this.clock.monotonic()));
    }));
  }

  // ------------------------------------------------------------------ commits

  /**
   * Commits the processed offsets of the owned partitions that moved since their last
   * commit. The offsets are taken again when the commit's turn comes: one queued behind a
   * slow commit must not carry a partition given up meanwhile, under the generation that
   * took it away (it would move the new owner's committed offset back).
   */
  commitProcessed(): Promise<void> {
    if (this.left) return Promise.reject(this.leftError());
    if (this.uncommitted().length === 0) return Promise.resolve();
    const run = this.commitChain.then(() => {
      const offsets = this.uncommitted();
      return offsets.length === 0 ? undefined : this.doCommit(offsets);
    });
    this.commitChain = run.catch(() => undefined);
    return run;
  }

  private leftError(): TributaryError {
    return new TributaryError('CLIENT_CLOSED', `consumer group "${this.options.groupId}": this member is closed and can commit nothing; commit before close() (or in a 'revoked' handler), or use admin().resetGroupOffsets`);
  }

  private uncommitted(): OffsetToCommit[] {
    const offsets: OffsetToCommit[] = [];
    for (const [key, offset] of this.processed) {
      const tp = this.owned.get(key);
      if (tp === undefined || this.committed.get(key) === offset) continue;
      offsets.push({ topic: tp.topic, partition: tp.partition, offset });
    }
    return offsets;
  }

  /** Sends commits one at a time, in order, so an older commit never lands after a newer one. */
  sendCommit(offsets: readonly OffsetToCommit[]): Promise<void> {
    if (this.left) return Promise.reject(this.leftError());
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
      generationId: this.core.generation,
      memberId: this.core.memberId,
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

  /** The group's coordinator, once the core's lookup finds it (or the lookup fails: INVALID_GROUP_ID, the group closed). */
  private findCoordinator(): Promise<number> {
    const known = this.core.coordinatorId;
    if (known !== undefined) return Promise.resolve(known);
    return new Promise((resolve, reject) => {
      this.coordinatorWaiters.push({ resolve, reject });
      this.run(this.core.needCoordinator(this.clock.monotonic()));
    });
  }

  /** A request to the coordinator, finding it again on coordinator errors, for up to `requestTimeoutMs`. */
  private async toCoordinator<R extends P.OffsetCommitRequest | P.OffsetFetchRequest>(request: R): Promise<ResponseFor<R>> {
    const deadline = this.clock.monotonic() + this.options.requestTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      let code: ErrorCode;
      try {
        const node = await this.findCoordinator();
        const res = await withTimeout(this.send(node, request), this.options.requestTimeoutMs, `${request.apiKey === ApiKey.OffsetCommit ? 'OffsetCommit' : 'OffsetFetch'}`, this.clock);
        code = 'errorCode' in res ? (res as P.OffsetFetchResponse).errorCode : ((res as P.OffsetCommitResponse).topics[0]?.partitions[0]?.errorCode ?? 'NONE');
        if (!coordinatorErrors.has(code)) return res;
      } catch (err) {
        if (!isTributaryError(err) || !coordinatorErrors.has(err.code)) throw err;
        code = err.code;
      }
      this.core.coordinatorUnknown();
      if (this.clock.monotonic() >= deadline) throw new TributaryError(code, `the coordinator of group ${this.options.groupId} did not answer: ${code}`);
      await this.sleep(backoffMs(attempt, 50, 1000, this.rng));
    }
  }

  // ------------------------------------------------------------------ the steps the core asks for

  /** Whether the topics this member subscribes to (a pattern), or their partition counts (the leader), changed. */
  private async subscriptionChanged(): Promise<boolean> {
    const topics = await this.resolveTopics();
    if (topics.join('\u0000') !== this.core.subscribedTopics.join('\u0000')) return true;
    if (this.core.assignedCounts.size === 0) return false;
    const counts = await this.partitionCounts([...this.core.assignedCounts.keys()]);
    for (const [t, n] of this.core.assignedCounts) if ((counts.get(t) ?? 0) !== n) return true;
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
    const res = await withTimeout(this.send(nodes[this.rng.int(Math.max(1, nodes.length))] ?? 1, { apiKey: ApiKey.Metadata, topics: topics.map((name) => ({ name })), allowAutoTopicCreation: false }), this.options.requestTimeoutMs, 'Metadata', this.clock);
    for (const t of res.topics) if (t.errorCode === 'NONE' && t.name !== null && t.partitions.length > 0) counts.set(t.name, t.partitions.length);
    return counts;
  }

  /** The leader's step: every member's subscription, the partition counts, the assignor's plan, encoded per member. */
  private async computeAssignment(join: P.JoinGroupResponse): Promise<{ assignments: P.SyncGroupRequestAssignment[]; counts: Map<string, number> }> {
    const members = join.members.map((m) => ({ memberId: m.memberId, subscription: decodeSubscription(m.metadata) }));
    const topics = [...new Set(members.flatMap((m) => m.subscription.topics))];
    const counts = await this.partitionCounts(topics);
    const plan = computeAssignment((join.protocolName as AssignorName | null) ?? this.options.assignor, members, counts);
    const assignments = members.map((m) => ({ memberId: m.memberId, assignment: encodeAssignment({ partitions: plan.get(m.memberId) ?? [], userData: null }) }));
    return { assignments, counts: new Map(topics.map((t) => [t, counts.get(t) ?? 0])) };
  }

  /** Waits for the record being processed of these partitions, runs the `revoked` handlers, commits, gives them up. */
  private async revoke(tps: readonly TopicPartition[]): Promise<void> {
    const keys = tps.map((tp) => tpKey(tp.topic, tp.partition));
    try {
      await this.handover.stopHandingOut(keys);
      await this.emit('revoked', [...tps]).catch(() => undefined);
      if (this.options.autoCommit) await this.commitProcessed().catch((err: unknown) => commitFailed(this.options.logger, this.options.groupId, err, 'commit before giving partitions up'));
    } finally {
      this.handover.release(keys);
      this.core.partitionsRevoked(tps);
      for (const k of keys) this.drop(k);
      this.inner.assign(this.assignment());
    }
  }

  /** Leaving: the `revoked` handlers, then a commit of what was processed (with `autoCommit`). */
  private async leaveRevoke(tps: readonly TopicPartition[]): Promise<void> {
    await this.emit('revoked', [...tps]).catch(() => undefined);
    if (this.options.autoCommit) await this.commitProcessed().catch((err: unknown) => commitFailed(this.options.logger, this.options.groupId, err, 'commit on leaving'));
  }

  /** Partitions taken away without a commit (the core no longer owns them). */
  private async lose(tps: readonly TopicPartition[]): Promise<void> {
    for (const tp of tps) this.drop(tpKey(tp.topic, tp.partition));
    this.inner.assign(this.assignment());
    await this.emit('lost', [...tps]).catch(() => undefined);
  }

  private drop(key: string): void {
    this.processed.delete(key);
    this.committed.delete(key);
    this.handover.bump(key);
  }

  /** Takes new partitions: their committed offsets (or `from`), then the `assigned` handlers. */
  private async assign(tps: readonly TopicPartition[]): Promise<void> {
    const byTopic = new Map<string, number[]>();
    for (const tp of tps) (byTopic.get(tp.topic) ?? byTopic.set(tp.topic, []).get(tp.topic)!).push(tp.partition);
    const res = await this.toCoordinator({ apiKey: ApiKey.OffsetFetch, groupId: this.options.groupId, topics: [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })) });
    if (res.errorCode !== 'NONE') throw new TributaryError(res.errorCode, `OffsetFetch of group ${this.options.groupId}: ${res.errorCode}`);
    this.core.partitionsTaken(tps);
    for (const tp of tps) this.handover.bump(tpKey(tp.topic, tp.partition));
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

/** Any failure as a `TributaryError` (one that is not: UNKNOWN_SERVER_ERROR, not retriable). */
function asTributaryError(err: unknown): TributaryError {
  return isTributaryError(err) ? err : new TributaryError('UNKNOWN_SERVER_ERROR', String(err), { cause: err });
}
