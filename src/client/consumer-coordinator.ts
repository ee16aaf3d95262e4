/**
 * The membership half of a consumer group member, Kafka's `ConsumerCoordinator` (with the
 * `AbstractCoordinator` under it): it finds the group's coordinator, joins (JoinGroup; the
 * leader runs the assignor), syncs (SyncGroup), heartbeats on its own timer, commits
 * (OffsetCommit, OffsetFetch), leaves (LeaveGroup), and runs the rebalance callbacks:
 * `revoked` before partitions are given up, `assigned` once new ones' positions are known,
 * `lost` when the group took them away without asking. Records are handed out by
 * `group-delivery.ts`; `consumer-group.ts` is the public face over both. The semantics
 * are in docs/design/consumer-groups.md.
 * @internal
 */
import { ApiKey } from '../protocol/api-keys.js';
import type * as P from '../protocol/index.js';
import type { Request, ResponseFor } from '../protocol/requests.js';
import type { Transport } from '../transport/transport.js';
import { startTimer, stopTimer, type Clock, type ClockTimer } from '../util/clock.js';
import type { ErrorCode } from '../util/error-codes.js';
import { TributaryError, isTributaryError } from '../util/errors.js';
import { deferred, type Deferred } from '../util/deferred.js';
import { Rng } from '../util/rng.js';
import { inProcessClientHost } from '../protocol/group.js';
import type { Admin } from './admin.js';
import { commitFailed, rebalanced } from './client-metrics.js';
import type { Consumer, TopicPartition } from './consumer.js';
import type { AssignorName, ResolvedConsumerGroupOptions } from './consumer-group-options.js';
import { computeAssignment, decodeAssignment, encodeAssignment, encodeSubscription, decodeSubscription } from './consumer-protocol.js';
import { tpKey, type DeliveryHost } from './group-delivery.js';
import { assignmentChange, coordinatorErrors, heartbeatOutcome, joinFailureOutcome } from './membership.js';
import { backoffMs, withTimeout } from './retry.js';

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
}


/**
 * One member's membership: its coordinator, member id, generation, the partitions it owns
 * and how far it processed and committed each. `start` begins the heartbeat and
 * auto-commit timers and the membership loop; `leave` (close) and `stop` (kill) end them.
 * @internal
 */
export class ConsumerCoordinator implements DeliveryHost {
  private readonly rng: Rng;
  private readonly handlers = new Map<RebalanceEvent, RebalanceHandler[]>();
  private handover!: Handover;

  private coordinatorId: number | undefined;
  private memberIdValue = '';
  private generation = -1;
  /** The generation the owned partitions were last confirmed in. */
  private ownedGeneration = -1;
  private phase: 'unjoined' | 'joining' | 'stable' = 'unjoined';
  private rejoinNeeded = true;
  private lostNeeded = false;
  /** The owned partitions, by `tpKey`. */
  readonly owned = new Map<string, TopicPartition>();
  /** Next offset to commit for each owned partition (one past the last processed record). */
  readonly processed = new Map<string, number>();
  /** The last offset committed for each owned partition. */
  readonly committed = new Map<string, number>();
  private subscribedTopics: string[] = [];
  private assignedCounts = new Map<string, number>();
  private closed = false;
  /** Wakes every `sleep` at once (close, kill), so no timer of this member outlives it. */
  private readonly sleepers = new Set<() => void>();
  private fatalError: TributaryError | undefined;
  private wake: Deferred = deferred();
  /** The heartbeat and auto-commit timers, each rescheduled when it fires, by name. */
  private readonly timers = new Map<string, ClockTimer>();
  private heartbeatInFlight = false;
  private commitChain: Promise<void> = Promise.resolve();
  private membership: Promise<void> = Promise.resolve();
  private readonly joinedOnce = deferred();
  /** Rebalances completed (JoinGroup + SyncGroup) by this member. */
  rebalances = 0;

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
  }

  /** Begins the heartbeat and auto-commit timers and the membership loop; `handover` is the member's delivery. */
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
    every('heartbeat', o.heartbeatIntervalMs, () => void this.heartbeat());
    if (o.autoCommit) every('auto-commit', o.autoCommitIntervalMs, () => void this.commitProcessed().catch((err: unknown) => commitFailed(o.logger, o.groupId, err, 'auto-commit')));
    this.membership = this.runMembership();
  }

  isClosed(): boolean {
    return this.closed;
  }

  /** The error that ended the member, if one did. */
  fatal(): TributaryError | undefined {
    return this.fatalError;
  }

  get memberId(): string {
    return this.memberIdValue;
  }

  get generationId(): number {
    return this.generation;
  }

  on(event: RebalanceEvent, handler: RebalanceHandler): void {
    (this.handlers.get(event) ?? this.handlers.set(event, []).get(event)!).push(handler);
  }

  /** The partitions this member owns now, sorted. */
  assignment(): TopicPartition[] {
    return [...this.owned.values()].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  }

  whenJoined(): Promise<void> {
    return this.joinedOnce.promise;
  }

  /**
   * Leaves the group once the record in flight is done (the caller waited for it): the
   * `revoked` handlers, a commit of what was processed (with `autoCommit`), LeaveGroup
   * (not for a static member), then the inner consumer closes.
   */
  async leave(): Promise<void> {
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
        this.clock,
      ).catch(() => undefined);
    }
    this.owned.clear();
    await this.inner.close();
    this.admin.close();
    // Not awaited: a static member's JoinGroup may stay parked until the rebalance ends.
    void this.membership.catch(() => undefined);
  }

  /** Stops the timers, the loop and every wait, without leaving or committing. */
  stop(): void {
    this.closed = true;
    for (const t of this.timers.values()) stopTimer(this.clock, t);
    this.timers.clear();
    this.wake.resolve();
    for (const wake of [...this.sleepers]) wake();
  }

  /** Waits `ms`, or less if `wake` resolves or the member stops; leaves no timer behind. */
  private sleep(ms: number, wake?: Deferred): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        stopTimer(this.clock, timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = startTimer(this.clock, ms, done);
      this.sleepers.add(done);
      void wake?.promise.then(done);
    });
  }

  private fail(err: TributaryError): void {
    this.fatalError ??= err;
    void this.inner.close();
  }

  // ------------------------------------------------------------------ commits

  /**
   * Commits the processed offsets of the owned partitions that moved since their last
   * commit. The offsets are taken again when the commit's turn comes: one queued behind a
   * slow commit must not carry a partition given up meanwhile, under the generation that
   * took it away (it would move the new owner's committed offset back).
   */
  commitProcessed(): Promise<void> {
    if (this.uncommitted().length === 0) return Promise.resolve();
    const run = this.commitChain.then(() => {
      const offsets = this.uncommitted();
      return offsets.length === 0 ? undefined : this.doCommit(offsets);
    });
    this.commitChain = run.catch(() => undefined);
    return run;
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
          const res = await withTimeout(this.send(node, { apiKey: ApiKey.FindCoordinator, keyType: 0, coordinatorKeys: [this.options.groupId] }), this.options.requestTimeoutMs, 'FindCoordinator', this.clock);
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
        const res = await withTimeout(this.send(node, request), this.options.requestTimeoutMs, `${request.apiKey === ApiKey.OffsetCommit ? 'OffsetCommit' : 'OffsetFetch'}`, this.clock);
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
    this.heartbeatInFlight = true;
    let again = false;
    try {
      // A coordinator error forgot the coordinator: find it again here, as Kafka's heartbeat
      // thread does. Nothing else would while the member has nothing to commit, and it
      // would own its partitions for good after the group moved on (node simulation seed 76).
      const node = this.coordinatorId ?? (await this.findCoordinator().catch(() => undefined));
      if (node === undefined || this.closed || this.phase !== 'stable') return;
      const sentAt = this.clock.monotonic();
      const generation = this.generation;
      const res = await withTimeout(
        this.send(node, { apiKey: ApiKey.Heartbeat, groupId: this.options.groupId, generationId: generation, memberId: this.memberIdValue, groupInstanceId: this.options.groupInstanceId }),
        this.options.sessionTimeoutMs,
        'Heartbeat',
        this.clock,
      );
      if (this.generation !== generation || this.phase !== 'stable') return;
      // What the answer means is the membership core's (membership.ts); this does it.
      const outcome = heartbeatOutcome(res.errorCode, this.clock.monotonic() - sentAt, this.options.heartbeatIntervalMs);
      if (outcome.kind === 'stay') again = outcome.again;
      else if (outcome.kind === 'rejoin' || outcome.kind === 'rejoin-lost') this.requestRejoin(outcome.kind === 'rejoin-lost');
      else if (outcome.kind === 'fenced') this.fail(new TributaryError('FENCED_INSTANCE_ID', `another member took group.instance.id ${this.options.groupInstanceId}`));
      else this.coordinatorId = undefined;
    } catch (err) {
      if (isTributaryError(err) && coordinatorErrors.has(err.code)) this.coordinatorId = undefined;
    } finally {
      this.heartbeatInFlight = false;
      if (again && !this.closed) startTimer(this.clock, 0, () => void this.heartbeat());
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
        const outcome = joinFailureOutcome(e.code, e.retriable);
        if (outcome.next === 'fatal') {
          this.fail(e);
          return;
        }
        if (outcome.findCoordinator) this.coordinatorId = undefined;
        if (outcome.next === 'backoff') await this.sleep(backoffMs(failures++, 50, 1000, this.rng));
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
    const res = await withTimeout(this.send(nodes[this.rng.int(Math.max(1, nodes.length))] ?? 1, { apiKey: ApiKey.Metadata, topics: topics.map((name) => ({ name })), allowAutoTopicCreation: false }), this.options.requestTimeoutMs, 'Metadata', this.clock);
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
    // What the subscription claims: the leader's plan withholds from others whatever is claimed.
    const claimed = cooperative ? this.assignment() : [];
    const subscription = encodeSubscription({ topics: this.subscribedTopics, userData: null, ownedPartitions: claimed, generationId: cooperative ? this.ownedGeneration : -1, rackId: null });
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
        this.clock,
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
        this.clock,
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
      startTimer(this.clock, 0, () => void this.heartbeat());
      try {
        await this.takeAssignment(decodeAssignment(sync.assignment).partitions, join.generationId, cooperative, claimed);
      } catch (err) {
        this.rejoinNeeded = true;
        throw err;
      }
      this.joinedOnce.resolve();
    } finally {
      if (this.phase === 'joining') this.phase = this.generation >= 0 ? 'stable' : 'unjoined';
    }
  }

  /**
   * Gives up what the new assignment lacks and takes what it adds. `claimed` is what the
   * JoinGroup's subscription said this member owned.
   */
  private async takeAssignment(assigned: readonly TopicPartition[], generationId: number, cooperative: boolean, claimed: readonly TopicPartition[]): Promise<void> {
    const { revoked, added, rejoin } = assignmentChange(this.assignment(), assigned, claimed, cooperative);
    // KIP-429: what this member gave up goes to its new owner in the next rebalance.
    if (rejoin) this.rejoinNeeded = true;
    if (revoked.length > 0) await this.revoke(revoked);
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
      await this.handover.stopHandingOut(keys);
      await this.emit('revoked', [...tps]).catch(() => undefined);
      if (this.options.autoCommit) await this.commitProcessed().catch((err: unknown) => commitFailed(this.options.logger, this.options.groupId, err, 'commit before giving partitions up'));
    } finally {
      this.handover.release(keys);
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
    this.handover.bump(key);
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
      this.handover.bump(key);
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
