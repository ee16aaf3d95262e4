/**
 * `GroupShell`: the group coordinator's shell on one broker. It decides nothing; the
 * `GroupCoordinator` core does (docs/design/groups.md). The shell does the I/O around it
 * (docs/design/consumer-groups.md):
 *
 * - creates `__consumer_offsets` through the controller on first use (FindCoordinator or
 *   a group request), compacted, with {@link GroupShellConfig.offsetsTopicPartitions}
 *   partitions;
 * - answers FindCoordinator with the leader of `partitionForGroup(groupId, n)`;
 * - keeps one `GroupCoordinator` per `__consumer_offsets` partition this broker leads:
 *   on becoming leader it waits until the high watermark covers the log as it stood
 *   (records of the previous leader commit or are truncated first), reads the log from
 *   its start, replays it (`loadFrom`) and serves; on losing leadership it deactivates
 *   the core, whose parked requests are answered NOT_COORDINATOR;
 * - writes each output's records as one record batch with acks=all, sends the replies
 *   marked `afterCommit` once the high watermark passes that batch (and every batch
 *   before it), and replays the records then. If an append fails or leadership moves
 *   first, those replies become NOT_COORDINATOR, the core is dropped and the next one
 *   loads from the committed log;
 * - ticks every core on a timer (rebalance and session deadlines, offset expiry): every
 *   `tickIntervalMs`, or, when its owner tells it of each image the broker applies
 *   (`followsImages`, `imageApplied`), at the cores' next deadline while nothing is in
 *   flux, so an idle broker's shell sleeps (docs/design/idle.md).
 *
 * Every wait of the shell is a timer of its `Clock` (`startTimer`): the tick, a held
 * heartbeat, the polls for a leader of `__consumer_offsets` and for the high watermark,
 * the wake of held heartbeats. On a `SimulatedTimerClock` the shell runs in simulated
 * time, in the order its driver fires the timers (`test/sim/group-shell-sim.ts`).
 *
 * One time base (docs/design/groups.md, "Time and determinism"): the core's `now` is the
 * clock's monotonic reading shifted by the wall time at start (`coreNow`), so that a jump
 * of the system clock neither expires every session at once nor stops them expiring,
 * while the timestamps the core writes to records (`commitTimestamp`,
 * `currentStateTimestamp`) stay close to wall time, which is what a later process, or
 * Kafka, compares them with. The shell's own deadlines use the same monotonic reading.
 *
 * Requests arrive in the protocol's shapes (`src/protocol/group.ts`), which the core speaks
 * too; the shell adds the envelope of each response (`apiKey`, `throttleTimeMs`,
 * DescribeGroups' `authorizedOperations`) and splits DescribeGroups and DeleteGroups by
 * group, ListGroups by coordinator.
 */
import { randomBytes } from 'node:crypto';
import type { MetadataImage } from '../metadata/image.js';
import { ApiKey } from '../protocol/api-keys.js';
import { authorizedOperationsOmitted } from '../protocol/common.js';
import type * as P from '../protocol/index.js';
import type { Request } from '../protocol/requests.js';
import { encodeBatchUncompressed, isControlBatch, iterateBatches } from '../record/batch.js';
import { decodeBatch } from '../record/codecs/index.js';
import { assert } from '../util/assert.js';
import { DeadlineTimer, startTimer, stopTimer, systemClock, type Clock } from '../util/clock.js';
import type { ErrorCode } from '../util/error-codes.js';
import { TributaryError, isTributaryError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import type { Broker, BrokerConfig } from './broker.js';
import {
  GroupCoordinator,
  groupErrorResponse,
  type GroupCoordinatorConfig,
  type GroupOutput,
  type GroupRequest,
  type GroupRequestContext,
  type GroupResponse,
  type GroupResponseFor,
} from './core/group-coordinator.js';
import { decodeGroupRecord, encodeGroupRecordKey, encodeGroupRecordValue, partitionForGroup, type GroupRecord } from './core/group-records.js';
import { DeletedTopics } from './deleted-topics.js';
import type { Partition } from './partition.js';
import { inlineContext, isInline, type RequestContext } from './request-context.js';

/** Kafka's name for the internal topic of offsets and group metadata. */
export const offsetsTopic = '__consumer_offsets';

/** The shell's settings, with Kafka's config names where Kafka has one. */
export interface GroupShellConfig {
  /**
   * `offsets.topic.num.partitions`: partitions of `__consumer_offsets`, used when this
   * shell creates it (an existing topic keeps its count). Default 10 (Kafka: 50): each
   * partition is a coordinator with its own log folder, and an embedded cluster rarely has
   * more than a few hundred groups; 10 still spreads coordinators over up to 10 brokers.
   */
  readonly offsetsTopicPartitions: number;
  /** `offsets.topic.replication.factor`. Default min(3, live brokers). */
  readonly offsetsTopicReplicationFactor: number | undefined;
  /** How often the coordinators are ticked and leadership is checked. Default 50. */
  readonly tickIntervalMs: number;
  /** How long a write may wait for the high watermark before the coordinator gives up and reloads. Default 30000. */
  readonly commitTimeoutMs: number;
  /**
   * How long a Heartbeat answered NONE may be held before it is answered, unless the
   * group starts a rebalance meanwhile, which then answers it REBALANCE_IN_PROGRESS at
   * once. A client that heartbeats again as soon as a held answer comes (Tributary's does)
   * learns of a rebalance within milliseconds instead of a heartbeat interval; any other
   * client just sees a slower answer. Kept below the shortest session (1000 ms). 0 never
   * holds. Default 400.
   */
  readonly heartbeatHoldMs: number;
  /** The coordinator core's settings (session timeout bounds, offset retention, ...). */
  readonly coordinator: Partial<GroupCoordinatorConfig>;
  /** How long a wire client's group request waits for its coordinator to load (see `loadWaitMsMax`). Default 10000. */
  readonly loadWaitMs?: number;
}

/**
 * An embedded cluster's coordinator defaults: Kafka's, except `group.min.session.timeout.ms`
 * 1000 (Kafka: 6000) so that embedded consumers may detect failures within a couple of
 * seconds.
 */
export const defaultGroupShellConfig: GroupShellConfig = {
  offsetsTopicPartitions: 10,
  offsetsTopicReplicationFactor: undefined,
  tickIntervalMs: 50,
  commitTimeoutMs: 30_000,
  heartbeatHoldMs: 400,
  coordinator: { groupMinSessionTimeoutMs: 1000 },
};

/**
 * What the shell uses of its broker: a `Broker`, or a stand-in that a simulation drives
 * (`test/sim/group-shell-sim.ts`). `waitForChange` must wait on the same clock as the shell
 * for the shell to run in simulated time.
 */
export type GroupShellBroker = Pick<Broker, 'nodeId' | 'metadataImage' | 'submitToController' | 'replica' | 'openReplica' | 'notifyChange' | 'waitForChange'> & {
  readonly config: Pick<BrokerConfig, 'host'>;
};

/** How a shell is made. @internal */
export interface GroupShellOptions {
  readonly clock?: Clock;
  readonly config?: Partial<GroupShellConfig>;
  /** Fixes the member ids the coordinators hand out (random otherwise). */
  readonly seed?: number;
  readonly clusterRunId?: string;
  /**
   * The owner calls `imageApplied` after each image the broker applies: the shell then
   * ticks only while something is in flux and at its cores' deadlines (at least every
   * `idleTickMsMax`), not every `tickIntervalMs`.
   */
  readonly followsImages?: boolean;
}

/** The longest an idle shell (`followsImages`) sleeps: a safety net, since images and requests wake it. */
const idleTickMsMax = 1000;

/** How long `ensureOffsetsTopic` waits for every partition of `__consumer_offsets` to have a leader, and how often it looks. */
const offsetsTopicWaitMs = 10_000;
const offsetsTopicPollMs = 10;
/** How long `watch` and `load` wait for a change to their partition before looking again. */
const changePollMs = 100;
/**
 * How long a wire client's group request waits for this broker's coordinator of its group
 * to finish loading before it is answered COORDINATOR_LOAD_IN_PROGRESS. FindCoordinator
 * names a leader as soon as `__consumer_offsets` has one, and the coordinator loads on the
 * next tick: without the wait, the first request of a fresh cluster gets an error that
 * some client calls hand to the user instead of retrying (librdkafka's
 * AlterConsumerGroupOffsets reports it per partition). Kafka's load of an empty partition
 * finishes while its clients are still retrying FindCoordinator, so they never see it.
 */
const loadWaitMsMax = 10_000;

/** The most bytes one read of `__consumer_offsets` returns while loading. */
const loadReadBytesMax = 1024 * 1024;

interface Waiting {
  readonly request: GroupRequest;
  readonly resolve: (response: GroupResponse) => void;
}

/** Records appended and not yet committed, with the replies that wait for them. */
interface InFlightWrite {
  /** The last offset of the batch, or -1 for replies that only wait for earlier batches. */
  readonly lastOffset: number;
  readonly records: readonly GroupRecord[];
  readonly replies: { to: number; response: GroupResponse }[];
  readonly deadline: number;
}

/** One `__consumer_offsets` partition this broker leads (or is loading). */
interface Slot {
  readonly partition: number;
  readonly leaderEpoch: number;
  readonly coordinator: GroupCoordinator;
  state: 'loading' | 'active' | 'dead';
  readonly waiting: Map<number, Waiting>;
  readonly writes: InFlightWrite[];
  /** The offset after the last record this coordinator appended. */
  writtenEnd: number;
  watching: boolean;
  /** Held heartbeats, woken when anything but a heartbeat changes the slot's groups. */
  readonly held: Set<() => void>;
}

/**
 * The coordinator shell of one broker. `handle` is what the broker calls for every group
 * API request (`broker.setGroupHandler((r) => shell.handle(r))`); `start` begins the timer,
 * `close` stops it and answers every waiting request NOT_COORDINATOR.
 */
export class GroupShell {
  readonly config: GroupShellConfig;
  private readonly clock: Clock;
  private readonly slots = new Map<number, Slot>();
  private nextId = 1;
  /** The tick's timer, armed for the next tick (or the cores' next deadline). */
  private readonly timer: DeadlineTimer;
  /** Whether the owner calls `imageApplied` for each image (then the timer sleeps between deadlines). */
  private readonly followsImages: boolean;
  /** Topics deleted between the images the shell looked at. */
  private readonly deletedTopics = new DeletedTopics();
  /** `__consumer_offsets` as the last tick saw it: an image with another one wakes the shell. */
  private offsetsTopicSeen: unknown;
  /** `coreNow() - clock.monotonic()`: the wall time at start, less the monotonic reading then. */
  private readonly coreTimeOffset: number;
  private creating: Promise<void> | undefined;
  private closed = false;
  private readonly rng: Rng;
  /** The run of the cluster this broker belongs to: coordinators drop in-process members of earlier runs on load. */
  private readonly clusterRunId: string | undefined;

  constructor(
    private readonly broker: GroupShellBroker,
    options: GroupShellOptions = {},
  ) {
    this.clusterRunId = options.clusterRunId;
    this.followsImages = options.followsImages === true;
    this.config = { ...defaultGroupShellConfig, ...options.config, coordinator: { ...defaultGroupShellConfig.coordinator, ...options.config?.coordinator } };
    assert(Number.isInteger(this.config.offsetsTopicPartitions) && this.config.offsetsTopicPartitions >= 1, 'offsetsTopicPartitions is a positive integer');
    this.clock = options.clock ?? systemClock;
    this.timer = new DeadlineTimer(this.clock, () => this.onTimer(), true);
    this.coreTimeOffset = this.clock.now() - this.clock.monotonic();
    this.rng = new Rng(options.seed ?? randomBytes(4).readUInt32BE(0));
  }

  /** Starts the tick timer (on the clock; it does not keep the process alive). */
  start(): void {
    if (this.timer.armed || this.closed) return;
    this.schedule(this.config.tickIntervalMs);
  }

  /**
   * The broker applied `image` (with `followsImages`): a change to `__consumer_offsets`
   * (a leadership here gained or lost) wakes the timer on the next turn.
   */
  imageApplied(image: MetadataImage): void {
    this.dropOffsetsOfDeletedTopics(image);
    if (this.followsImages && image.topic(offsetsTopic) !== this.offsetsTopicSeen) this.schedule(0);
  }

  /** Tombstones every group's offsets on topics deleted since the last image (Kafka's `onPartitionsDeleted`). */
  private dropOffsetsOfDeletedTopics(image: MetadataImage | undefined): void {
    const deleted = image === undefined ? undefined : this.deletedTopics.since(image);
    if (deleted === undefined || deleted.size === 0) return;
    for (const slot of this.slots.values()) if (slot.state === 'active') this.apply(slot, slot.coordinator.onTopicsDeleted(deleted));
  }

  /** Arms the timer `delayMs` from now, unless it is armed as early already. */
  private schedule(delayMs: number): void {
    if (!this.closed) this.timer.armIn(delayMs);
  }

  private onTimer(): void {
    let next = this.config.tickIntervalMs;
    try {
      next = this.tick();
    } finally {
      this.schedule(next);
    }
  }

  /**
   * With `followsImages`, arms the timer for `slot`'s next deadline (a request may have set
   * an earlier one: a rebalance begun, a member added), at the old tick's granularity.
   */
  private scheduleDeadline(slot: Slot): void {
    if (!this.followsImages || slot.state !== 'active') return;
    this.schedule(Math.min(idleTickMsMax, Math.max(this.config.tickIntervalMs, slot.coordinator.nextDeadline() - this.coreNow())));
  }

  /** Stops the timer and drops every coordinator (their waiting requests get NOT_COORDINATOR). */
  close(): void {
    this.closed = true;
    this.timer.stop();
    for (const slot of [...this.slots.values()]) this.drop(slot);
  }

  /** The coordinators this broker runs, by `__consumer_offsets` partition, and whether each serves (for tests). */
  coordinators(): Map<number, 'loading' | 'active'> {
    const out = new Map<number, 'loading' | 'active'>();
    for (const [p, s] of this.slots) if (s.state !== 'dead') out.set(p, s.state as 'loading' | 'active');
    return out;
  }

  /** The core of a partition this broker leads, for tests that look inside. */
  coordinator(partition: number): GroupCoordinator | undefined {
    return this.slots.get(partition)?.coordinator;
  }

  /**
   * Answers one group API request (FindCoordinator and the group APIs). `context` says who
   * sent it: JoinGroup records its client id and host, and only a client in this process
   * (no context) has its Heartbeat held (see `heartbeatHoldMs`); a wire client is answered
   * at once, as Kafka's coordinator answers.
   */
  async handle(request: Request, context?: RequestContext): Promise<unknown> {
    const ctx = context ?? inlineContext;
    if (this.closed) throw new TributaryError('COORDINATOR_NOT_AVAILABLE', `the group coordinator of broker ${this.broker.nodeId} is closed`);
    if (request.apiKey === ApiKey.OffsetFetch && request.groups !== undefined) return this.offsetFetchBatch(request, context);
    if (!isInline(context) && 'groupId' in request) {
      // (A context that crossed a thread by structured clone could carry a signal-shaped object: only a real one counts.)
      const signal = ctx.signal instanceof AbortSignal ? ctx.signal : undefined;
      await this.awaitLoad(request.groupId, signal);
      // The client went while it waited: nobody reads an answer, and a JoinGroup handed on would add a member.
      if (signal?.aborted) throw new TributaryError('NETWORK_EXCEPTION', `the client disconnected while the coordinator of group ${JSON.stringify(request.groupId)} loaded`);
    }
    switch (request.apiKey) {
      case ApiKey.FindCoordinator:
        return this.findCoordinator(request);
      case ApiKey.JoinGroup: {
        // A wire client's host is its connection's; an in-process member says which run of the cluster it lives in.
        const clientHost = context === undefined ? (request.clientHost ?? ctx.clientHost) : ctx.clientHost;
        return { apiKey: request.apiKey, throttleTimeMs: 0, ...(await this.forGroup(request.groupId, request, { clientId: ctx.clientId, clientHost })) };
      }
      case ApiKey.Heartbeat:
        return { apiKey: request.apiKey, throttleTimeMs: 0, ...(await this.heartbeat(request, isInline(context) ? this.config.heartbeatHoldMs : 0)) };
      case ApiKey.SyncGroup:
      case ApiKey.LeaveGroup:
      case ApiKey.OffsetCommit:
      case ApiKey.OffsetFetch:
      case ApiKey.OffsetDelete:
        return { apiKey: request.apiKey, throttleTimeMs: 0, ...(await this.forGroup(request.groupId, request)) };
      case ApiKey.ListGroups:
        return this.listGroups(request);
      case ApiKey.DescribeGroups:
        return this.describeGroups(request);
      case ApiKey.DeleteGroups:
        return this.deleteGroups(request);
      default:
        throw new TributaryError('UNSUPPORTED_VERSION', `API ${request.apiKey} is not a group API`);
    }
  }

  /**
   * A batched OffsetFetch (v8, KIP-709): each group answered as its own OffsetFetch, by this
   * broker's coordinator of it, and a group this broker does not coordinate answered
   * NOT_COORDINATOR on its own, as Kafka's `KafkaApis.handleOffsetFetchRequestFromCoordinator`
   * does (the client asks that group's coordinator again). A group's error comes with no topics.
   */
  private async offsetFetchBatch(request: P.OffsetFetchRequest, context: RequestContext | undefined): Promise<P.OffsetFetchResponse> {
    const signal = !isInline(context) && context?.signal instanceof AbortSignal ? context.signal : undefined;
    const groups = await Promise.all(
      (request.groups ?? []).map(async (g): Promise<P.OffsetFetchResponseGroup> => {
        if (!isInline(context)) await this.awaitLoad(g.groupId, signal);
        if (signal?.aborted) throw new TributaryError('NETWORK_EXCEPTION', `the client disconnected while the coordinator of group ${JSON.stringify(g.groupId)} loaded`);
        const one: P.OffsetFetchRequest = { apiKey: ApiKey.OffsetFetch, groupId: g.groupId, topics: g.topics, ...(request.requireStable === undefined ? {} : { requireStable: request.requireStable }) };
        const res = await this.forGroup(g.groupId, one);
        return { groupId: g.groupId, topics: res.errorCode === 'NONE' ? res.topics : [], errorCode: res.errorCode };
      }),
    );
    return { apiKey: ApiKey.OffsetFetch, throttleTimeMs: 0, topics: [], errorCode: 'NONE', groups };
  }

  // ------------------------------------------------------------------ FindCoordinator

  private async findCoordinator(req: P.FindCoordinatorRequest): Promise<P.FindCoordinatorResponse> {
    const fail = (key: string, errorCode: ErrorCode, errorMessage: string): P.Coordinator => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage });
    if (req.keyType !== 0) return { apiKey: ApiKey.FindCoordinator, throttleTimeMs: 0, coordinators: req.coordinatorKeys.map((k) => fail(k, 'COORDINATOR_NOT_AVAILABLE', 'transaction coordinators are not implemented')) };
    let image: MetadataImage | undefined;
    try {
      image = await this.ensureOffsetsTopic();
    } catch (err) {
      const code: ErrorCode = isTributaryError(err) && err.retriable ? err.code : 'COORDINATOR_NOT_AVAILABLE';
      return { apiKey: ApiKey.FindCoordinator, throttleTimeMs: 0, coordinators: req.coordinatorKeys.map((k) => fail(k, code, `${offsetsTopic} is not available: ${String(err)}`)) };
    }
    const topic = image.topic(offsetsTopic)!;
    const coordinators = req.coordinatorKeys.map((key): P.Coordinator => {
      if (key === '') return fail(key, 'INVALID_GROUP_ID', 'the group id is empty');
      const reg = topic.partitions[partitionForGroup(key, topic.partitions.length)]!;
      const b = reg.leader >= 0 ? image.broker(reg.leader) : undefined;
      if (b === undefined || b.fenced) return fail(key, 'COORDINATOR_NOT_AVAILABLE', `${offsetsTopic}-${partitionForGroup(key, topic.partitions.length)} has no leader`);
      return { key, nodeId: b.id, host: b.endpoints[0]?.host ?? this.broker.config.host, port: b.endpoints[0]?.port ?? 0, errorCode: 'NONE', errorMessage: null };
    });
    return { apiKey: ApiKey.FindCoordinator, throttleTimeMs: 0, coordinators };
  }

  /**
   * The image once it has `__consumer_offsets` with a leader for every partition,
   * creating the topic first if needed. Several callers share one creation.
   */
  private async ensureOffsetsTopic(): Promise<MetadataImage> {
    const ready = (): MetadataImage | undefined => {
      const image = this.broker.metadataImage;
      const t = image?.topic(offsetsTopic);
      return t !== undefined && t.partitions.every((p) => p.leader >= 0) ? image : undefined;
    };
    const now = ready();
    if (now !== undefined) return now;
    this.creating ??= this.createOffsetsTopic().finally(() => (this.creating = undefined));
    await this.creating;
    // Bounded by the clock's time, and also by the number of looks, for a clock that has
    // no timers and stands still (a `SimulatedClock`): the polls then run on real timers,
    // and the count ends them after about the same real time.
    const deadline = this.clock.monotonic() + offsetsTopicWaitMs;
    for (let polls = 0; ; polls++) {
      const image = ready();
      if (image !== undefined) return image;
      if (this.clock.monotonic() >= deadline || polls >= offsetsTopicWaitMs / offsetsTopicPollMs || this.closed) {
        throw new TributaryError('COORDINATOR_NOT_AVAILABLE', `${offsetsTopic} has no leader for some partition yet`);
      }
      await this.sleep(offsetsTopicPollMs);
    }
  }

  /** Resolves after `ms` of the clock's time. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => startTimer(this.clock, ms, resolve));
  }

  /**
   * The core's time: monotonic, in wall-clock milliseconds as of the shell's start (see
   * the top of this file).
   */
  private coreNow(): number {
    // Whole milliseconds: the core writes this into records (int64 timestamps), and
    // `performance.now()` has fractions.
    return Math.floor(this.clock.monotonic() + this.coreTimeOffset);
  }

  private async createOffsetsTopic(): Promise<void> {
    if (this.broker.metadataImage?.topic(offsetsTopic) !== undefined) return;
    let live = 0;
    this.broker.metadataImage?.forEachBroker((b) => {
      if (!b.fenced) live++;
    });
    const rf = this.config.offsetsTopicReplicationFactor ?? Math.max(1, Math.min(3, live));
    const r = await this.broker.submitToController({
      type: 'CreateTopics',
      topics: [
        {
          name: offsetsTopic,
          numPartitions: this.config.offsetsTopicPartitions,
          replicationFactor: rf,
          configs: [
            { name: 'cleanup.policy', value: 'compact' },
            // Kafka's groupMetadataTopicConfigs: the coordinator's batches are kept as it
            // writes them (uncompressed, offsets.topic.compression.codec's default), never
            // converted to a cluster-wide compression.type.
            { name: 'compression.type', value: 'producer' },
            // Kafka's offsets.topic.segment.bytes: small segments, so compaction can run.
            { name: 'segment.bytes', value: String(100 * 1024 * 1024) },
            // With three replicas a write survives one broker's loss; with fewer, waiting
            // for two would stop every group when one broker is down.
            { name: 'min.insync.replicas', value: rf >= 3 ? '2' : '1' },
          ],
        },
      ],
    });
    const code = r.topics[0]?.errorCode ?? 'UNKNOWN_SERVER_ERROR';
    if (code !== 'NONE' && code !== 'TOPIC_ALREADY_EXISTS') throw new TributaryError(code, `creating ${offsetsTopic}: ${r.topics[0]?.errorMessage ?? code}`);
  }

  // ------------------------------------------------------------------ group requests

  /** Hands a request to the coordinator of its group's partition, or answers why not. */
  private async forGroup<R extends GroupRequest>(groupId: string, request: R, context?: GroupRequestContext): Promise<GroupResponseFor<R>> {
    const image = this.broker.metadataImage;
    const t = image?.topic(offsetsTopic);
    if (t === undefined) {
      // A client that skipped FindCoordinator: create the topic, then send it to look.
      void this.ensureOffsetsTopic().catch(() => undefined);
      return groupErrorResponse(request, 'COORDINATOR_NOT_AVAILABLE');
    }
    const p = partitionForGroup(groupId, t.partitions.length);
    const slot = this.slots.get(p);
    if (slot === undefined || slot.state === 'dead') {
      // Leader by the metadata but no coordinator yet: the next tick starts loading one.
      return groupErrorResponse(request, t.partitions[p]!.leader === this.broker.nodeId ? 'COORDINATOR_LOAD_IN_PROGRESS' : 'NOT_COORDINATOR');
    }
    return this.submit(slot, request, context);
  }

  /**
   * Waits (at most `loadWaitMsMax`) while this broker leads the group's partition and its
   * coordinator is still loading; stops at once when `signal` aborts (the client's
   * connection closed), dropping its wake-up and timer.
   */
  private async awaitLoad(groupId: string, signal: AbortSignal | undefined): Promise<void> {
    const deadline = this.clock.monotonic() + (this.config.loadWaitMs ?? loadWaitMsMax);
    this.loadWaitsValue++;
    try {
      for (;;) {
        const t = this.broker.metadataImage?.topic(offsetsTopic);
        if (t === undefined || this.closed || signal?.aborted === true || this.clock.monotonic() >= deadline) return;
        const p = partitionForGroup(groupId, t.partitions.length);
        if (t.partitions[p]!.leader !== this.broker.nodeId || this.slots.get(p)?.state === 'active') return;
        await this.broker.waitForChange(offsetsTopic, p, changePollMs, signal);
      }
    } finally {
      this.loadWaitsValue--;
    }
  }
  private loadWaitsValue = 0;

  /** Wire requests waiting for their group's coordinator to load, now (for tests). */
  get loadWaits(): number {
    return this.loadWaitsValue;
  }

  private submit<R extends GroupRequest>(slot: Slot, request: R, context?: GroupRequestContext): Promise<GroupResponseFor<R>> {
    return new Promise((resolve) => {
      const id = this.nextId++;
      // The core answers each request with its own response type (GroupResponseFor<R>).
      slot.waiting.set(id, { request, resolve: resolve as (response: GroupResponse) => void });
      const out = slot.coordinator.handle(id, request, this.coreNow(), context);
      this.apply(slot, out);
      if (request.apiKey !== ApiKey.Heartbeat) {
        this.wakeHeld(slot);
        // A heartbeat only puts its member's deadline later; anything else may set an earlier one.
        this.scheduleDeadline(slot);
      }
    });
  }

  /**
   * A Heartbeat, held while it would be answered NONE (see `heartbeatHoldMs`): asked again
   * whenever another request or a tick changes the slot, and answered as soon as the
   * answer is anything else, or when the hold runs out. Each asking counts as a heartbeat,
   * so the member's session stays alive while it waits.
   */
  private async heartbeat(request: P.HeartbeatRequest, holdMs: number): Promise<GroupResponseFor<P.HeartbeatRequest>> {
    const until = this.clock.monotonic() + holdMs;
    for (;;) {
      const res = await this.forGroup(request.groupId, request);
      const left = until - this.clock.monotonic();
      if (res.errorCode !== 'NONE' || left <= 0 || this.closed) return res;
      const image = this.broker.metadataImage?.topic(offsetsTopic);
      const slot = image ? this.slots.get(partitionForGroup(request.groupId, image.partitions.length)) : undefined;
      if (slot === undefined || slot.state !== 'active') return res;
      await new Promise<void>((resolve) => {
        const wake = () => {
          stopTimer(this.clock, timer);
          slot.held.delete(wake);
          resolve();
        };
        const timer = startTimer(this.clock, left, wake);
        slot.held.add(wake);
      });
    }
  }

  /** Wakes the held heartbeats of a slot on a timer of 0 ms (never inside the request that changed it). */
  private wakeHeld(slot: Slot): void {
    if (slot.held.size === 0) return;
    const wakes = [...slot.held];
    slot.held.clear();
    startTimer(this.clock, 0, () => {
      for (const w of wakes) w();
    });
  }

  private async listGroups(req: P.ListGroupsRequest): Promise<P.ListGroupsResponse> {
    const slots = [...this.slots.values()].filter((s) => s.state !== 'dead');
    const results = await Promise.all(slots.map((s) => this.submit(s, req)));
    const failed = results.find((r) => r.errorCode !== 'NONE');
    return { apiKey: ApiKey.ListGroups, throttleTimeMs: 0, errorCode: failed?.errorCode ?? 'NONE', groups: results.flatMap((r) => r.groups).sort((a, b) => (a.groupId < b.groupId ? -1 : 1)) };
  }

  private async describeGroups(req: P.DescribeGroupsRequest): Promise<P.DescribeGroupsResponse> {
    const groups = await Promise.all(
      req.groups.map(async (groupId): Promise<P.DescribedGroup> => {
        const r = await this.forGroup(groupId, { apiKey: ApiKey.DescribeGroups, groups: [groupId] });
        return { ...r.groups[0]!, authorizedOperations: authorizedOperationsOmitted };
      }),
    );
    return { apiKey: ApiKey.DescribeGroups, throttleTimeMs: 0, groups };
  }

  private async deleteGroups(req: P.DeleteGroupsRequest): Promise<P.DeleteGroupsResponse> {
    const results = await Promise.all(
      req.groupsNames.map(async (groupId) => {
        const r = await this.forGroup(groupId, { apiKey: ApiKey.DeleteGroups, groupsNames: [groupId] });
        return r.results[0]!;
      }),
    );
    return { apiKey: ApiKey.DeleteGroups, throttleTimeMs: 0, results };
  }

  // ------------------------------------------------------------------ outputs

  /**
   * Does what a core's output says: appends its records as one batch (acks=all), sends
   * the replies that need no commit, and queues the others behind the batch.
   */
  private apply(slot: Slot, out: GroupOutput): void {
    const later: { to: number; response: GroupResponse }[] = [];
    for (const r of out.replies) {
      if (r.afterCommit) later.push({ to: r.to, response: r.response });
      else this.reply(slot, r.to, r.response);
    }
    if (out.records.length === 0 && later.length === 0) return;
    if (slot.state === 'dead') {
      for (const r of later) this.failReply(slot, r.to);
      return;
    }
    let lastOffset = -1;
    if (out.records.length > 0) {
      const replica = this.leaderReplica(slot);
      const outcome =
        replica === undefined
          ? ({ errorCode: 'NOT_LEADER_OR_FOLLOWER', message: 'not the leader' } as const)
          : replica.appendAsLeader(
              encodeBatchUncompressed(
                out.records.map((r) => ({ key: encodeGroupRecordKey(r), value: encodeGroupRecordValue(r) })),
                { now: this.clock.now() },
              ),
              { acks: -1, timeoutMs: this.config.commitTimeoutMs, token: 0 },
              this.clock.monotonic(),
            );
      if (outcome.errorCode !== 'NONE' || !('lastOffset' in outcome)) {
        // Nothing was written, yet the core moved on as if it were: answer what waited
        // for it NOT_COORDINATOR and let the next coordinator load from the log.
        for (const r of later) this.failReply(slot, r.to);
        this.drop(slot);
        return;
      }
      lastOffset = outcome.lastOffset;
      slot.writtenEnd = lastOffset + 1;
      this.broker.notifyChange(offsetsTopic, slot.partition);
    }
    slot.writes.push({ lastOffset, records: out.records, replies: later, deadline: this.clock.monotonic() + this.config.commitTimeoutMs });
    this.settle(slot);
    if (slot.writes.length > 0) void this.watch(slot);
  }

  /** Sends the replies and replays the records of every write the high watermark has passed. */
  private settle(slot: Slot): void {
    if (slot.state === 'dead') return;
    const replica = this.leaderReplica(slot);
    if (replica === undefined) {
      this.drop(slot);
      return;
    }
    const hw = replica.highWatermark;
    while (slot.writes.length > 0 && slot.writes[0]!.lastOffset < hw) {
      const w = slot.writes.shift()!;
      for (const r of w.records) slot.coordinator.replay(r);
      for (const r of w.replies) this.reply(slot, r.to, r.response);
    }
    if (slot.writes.length > 0 && this.clock.monotonic() > slot.writes[0]!.deadline) this.drop(slot);
  }

  /** Waits for the high watermark to pass the queued writes. */
  private async watch(slot: Slot): Promise<void> {
    if (slot.watching) return;
    slot.watching = true;
    try {
      while (slot.writes.length > 0 && slot.state !== 'dead' && !this.closed) {
        await this.broker.waitForChange(offsetsTopic, slot.partition, changePollMs);
        this.settle(slot);
      }
    } finally {
      slot.watching = false;
    }
  }

  private reply(slot: Slot, to: number, response: GroupResponse): void {
    const w = slot.waiting.get(to);
    if (w === undefined) return;
    slot.waiting.delete(to);
    w.resolve(response);
  }

  private failReply(slot: Slot, to: number): void {
    const w = slot.waiting.get(to);
    if (w !== undefined) this.reply(slot, to, groupErrorResponse(w.request, 'NOT_COORDINATOR'));
  }

  /** This slot's replica, if it still leads in the slot's epoch. */
  private leaderReplica(slot: Slot): Partition | undefined {
    const replica = this.broker.replica(offsetsTopic, slot.partition);
    if (replica === undefined || replica.role !== 'leader' || replica.leaderEpoch !== slot.leaderEpoch) return undefined;
    return replica;
  }

  /** Ends a coordinator: every reply still waiting becomes NOT_COORDINATOR. */
  private drop(slot: Slot): void {
    if (slot.state === 'dead') return;
    slot.state = 'dead';
    this.wakeHeld(slot);
    if (this.slots.get(slot.partition) === slot) this.slots.delete(slot.partition);
    const out = slot.coordinator.active ? slot.coordinator.deactivate() : { records: [], replies: [] };
    for (const r of out.replies) this.reply(slot, r.to, r.response);
    for (const w of slot.writes) for (const r of w.replies) this.failReply(slot, r.to);
    slot.writes.length = 0;
    for (const to of [...slot.waiting.keys()]) this.failReply(slot, to);
  }

  // ------------------------------------------------------------------ leadership and time

  /** Runs the timer's work; returns the delay to the next tick. */
  private tick(): number {
    if (this.closed) return this.config.tickIntervalMs;
    const image = this.broker.metadataImage;
    this.dropOffsetsOfDeletedTopics(image);
    const t = image?.topic(offsetsTopic);
    this.offsetsTopicSeen = t;
    // In flux (a leadership to take up or let go, a replica opening, a coordinator
    // loading): ticks every `tickIntervalMs`, as without `followsImages`.
    let busy = false;
    for (const slot of [...this.slots.values()]) {
      if (this.leaderReplica(slot) === undefined) {
        this.drop(slot);
        busy = true;
      } else if (slot.state === 'loading') busy = true;
    }
    if (t !== undefined) {
      for (let p = 0; p < t.partitions.length; p++) {
        if (t.partitions[p]!.leader !== this.broker.nodeId || this.slots.has(p)) continue;
        busy = true;
        const replica = this.broker.replica(offsetsTopic, p);
        if (replica === undefined) {
          void this.broker.openReplica(offsetsTopic, p);
          continue;
        }
        if (replica.role !== 'leader') continue;
        this.startLoad(p, replica, t.partitions.length);
      }
    }
    const now = this.coreNow();
    let due = Infinity;
    for (const slot of this.slots.values()) {
      if (slot.state !== 'active') continue;
      if (slot.coordinator.nextDeadline() <= now) {
        this.apply(slot, slot.coordinator.tick(now));
        this.wakeHeld(slot);
      }
      due = Math.min(due, slot.coordinator.nextDeadline());
    }
    if (!this.followsImages || busy) return this.config.tickIntervalMs;
    return Math.min(idleTickMsMax, Math.max(this.config.tickIntervalMs, due - now));
  }

  private startLoad(partition: number, replica: Partition, count: number): void {
    const slot: Slot = {
      partition,
      leaderEpoch: replica.leaderEpoch,
      coordinator: new GroupCoordinator({
        rng: this.rng.fork(),
        config: this.config.coordinator,
        partition: { index: partition, count },
        ...(this.clusterRunId !== undefined ? { clusterRunId: this.clusterRunId } : {}),
        partitionExists: (topic, p) => {
          const reg = this.broker.metadataImage?.topic(topic);
          return reg !== undefined && p >= 0 && p < reg.partitions.length;
        },
      }),
      state: 'loading',
      waiting: new Map(),
      writes: [],
      writtenEnd: replica.logEndOffset,
      watching: false,
      held: new Set(),
    };
    this.slots.set(partition, slot);
    void this.load(slot).catch(() => this.drop(slot));
  }

  /**
   * Loads a new leader's coordinator: waits until the high watermark reaches the log end
   * as it was when leadership began (the previous leader's writes are then committed),
   * reads every batch from the log start, and replays their records.
   */
  private async load(slot: Slot): Promise<void> {
    const target = slot.writtenEnd;
    for (;;) {
      const replica = this.leaderReplica(slot);
      if (replica === undefined || slot.state === 'dead' || this.closed) return this.drop(slot);
      if (replica.highWatermark >= target) break;
      await this.broker.waitForChange(offsetsTopic, slot.partition, changePollMs);
    }
    const replica = this.leaderReplica(slot)!;
    const records: GroupRecord[] = [];
    let offset = replica.logStartOffset;
    while (offset < target) {
      const read = replica.log.read(offset, { maxBytes: loadReadBytesMax, maxOffset: target });
      if (read.records.length === 0) break;
      let next = offset;
      for (const slice of iterateBatches(read.records)) {
        const h = slice.header;
        next = h.baseOffset + h.lastOffsetDelta + 1;
        if (isControlBatch(h.attributes) || h.recordCount === 0) continue;
        for (const r of await decodeBatch(read.records, slice.position)) {
          if (r.offset < offset || r.key === null) continue;
          try {
            records.push(decodeGroupRecord(r.key, r.value));
          } catch (err) {
            // A record this coordinator does not understand (a KIP-848 key written by a
            // newer Kafka): skipped, as Kafka's loader skips unknown record types.
            if (!isTributaryError(err, 'CORRUPT_MESSAGE')) throw err;
          }
        }
      }
      if (next <= offset) break;
      offset = next;
    }
    if ((slot.state as Slot['state']) === 'dead' || this.leaderReplica(slot) === undefined) return this.drop(slot);
    slot.coordinator.loadFrom(records, this.coreNow());
    slot.state = 'active';
  }
}

/** Installs a shell on a broker and starts it; returns it. `seed` fixes the member ids the coordinators hand out (random otherwise). */
export function installGroupShell(broker: Broker, options: GroupShellOptions = {}): GroupShell {
  const shell = new GroupShell(broker, options);
  broker.setGroupHandler((request, context) => shell.handle(request, context));
  shells.set(broker, shell);
  shell.start();
  return shell;
}

/** The shell installed on a broker, if any. */
export function groupShellOf(broker: Broker): GroupShell | undefined {
  return shells.get(broker);
}

const shells = new WeakMap<Broker, GroupShell>();
