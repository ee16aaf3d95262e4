/**
 * `Broker`: the shell that hosts this node's partition replicas and answers the requests
 * of `src/protocol/`. Every decision about a replica is `Partition`'s (leadership, ISR,
 * high watermark, idempotence); the broker does the I/O around it:
 *
 * - follows the metadata image: each partition this broker holds a replica of becomes a
 *   leader or a follower as the controller committed it;
 * - opens a partition's log on first use (a produce, a fetch, or its leader opening it),
 *   so a cluster can hold many partitions with no file for most of them;
 * - answers Produce (acks 0, 1 and all), Fetch (consumers and followers, long-polled:
 *   a fetch waits for data up to `maxWaitMs`, woken by the append or the high watermark
 *   move it waits for), ListOffsets, Metadata, DescribeConfigs, DeleteRecords,
 *   InitProducerId, and forwards admin requests to the controller;
 * - runs one replica fetcher per leader it follows;
 * - registers with the controller and heartbeats, and sends ISR changes (AlterPartition);
 * - checkpoints high watermarks, enforces retention and compacts.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { PartitionRegistration, MetadataImage, TopicImage } from '../metadata/image.js';
import { describeConfigs } from '../metadata/controller.js';
import { ConfigResourceType } from '../metadata/records.js';
import type { ControllerRequest, ControllerResponse } from '../metadata/requests.js';
import type { Uuid } from '../metadata/uuid.js';
import { ApiKey } from '../protocol/api-keys.js';
import type * as P from '../protocol/index.js';
import type { Request, ResponseFor } from '../protocol/requests.js';
import { validateRequest } from '../protocol/validate.js';
import type { PartitionLog } from '../storage/partition-log.js';
import type { Store } from '../storage/store.js';
import { systemClock, type Clock } from '../util/clock.js';
import type { ErrorCode } from '../util/error-codes.js';
import { TributaryError, isTributaryError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { withTimeout } from '../util/timeout.js';
import { BrokerTopicStats } from './broker-topic-stats.js';
import { LogManager, asStorageFault, isStorageFault } from './log-manager.js';
import { createTopicsFromClient, deleteTopicsFromClient, internalProduceMessage, isInternalTopic } from './internal-topics.js';
import { AutoTopicCreationManager } from './auto-topic-creation-manager.js';
import { logConfigFor, minInsyncReplicasFor } from './log-config.js';
import { describeClusterResponse } from './metadata-response.js';
import { ReplicaFetchers } from './replica-fetcher.js';
import { noAborted, perPartition } from './request-helpers.js';
import { Wakeups } from './wakeups.js';
import type { RequestContext } from './request-context.js';
import { Partition, readHighWatermarkCheckpoint, writeHighWatermarkCheckpoint, type AlterIsrProposal } from './partition.js';

/** How a broker reaches the active controller: submit a request, resolve with its committed response. */
export interface ControllerChannel {
  submit<R extends ControllerRequest>(request: R): Promise<ControllerResponse<R>>;
  /** The active controller's id, or -1. */
  activeControllerId(): number;
}

/** How a broker reaches another broker (its replica fetcher talks to leaders). */
export interface BrokerChannel {
  send<R extends Request>(nodeId: number, request: R): Promise<ResponseFor<R>>;
}

/** A broker's settings, with Kafka's config names. */
export interface BrokerConfig {
  /** `broker.heartbeat.interval.ms`. Default 250 (Kafka: 2000; an embedded cluster notices failures sooner). */
  readonly heartbeatIntervalMs: number;
  /** `replica.lag.time.max.ms`. Default 10000 (Kafka: 30000). */
  readonly replicaLagTimeMaxMs: number;
  /** `replica.fetch.wait.max.ms`: how long a follower's fetch waits at the leader for data. Default 500. */
  readonly replicaFetchWaitMaxMs: number;
  /** `replica.high.watermark.checkpoint.interval.ms`. Default 5000. */
  readonly highWatermarkCheckpointIntervalMs: number;
  /** `log.retention.check.interval.ms`: retention and compaction run this often. Default 60000 (Kafka: 300000). */
  readonly logRetentionCheckIntervalMs: number;
  /** `auto.create.topics.enable`: a Metadata request that allows it creates the missing topics it names. Default true. */
  readonly autoCreateTopicsEnable: boolean;
  /** The host and port the broker advertises in metadata. */
  readonly host: string;
  readonly port: number;
}

export const defaultBrokerConfig: BrokerConfig = {
  heartbeatIntervalMs: 250,
  replicaLagTimeMaxMs: 10_000,
  replicaFetchWaitMaxMs: 500,
  highWatermarkCheckpointIntervalMs: 5000,
  logRetentionCheckIntervalMs: 60_000,
  autoCreateTopicsEnable: true,
  host: 'localhost',
  port: 0,
};

export interface BrokerOptions {
  readonly nodeId: number;
  readonly dataDir: string;
  readonly controller: ControllerChannel;
  readonly peers: BrokerChannel;
  /** The cluster id this broker belongs to. */
  readonly clusterId: string;
  /** A new id for each process start: the controller tells incarnations apart. */
  readonly incarnationId: Uuid;
  readonly clock?: Clock;
  readonly config?: Partial<BrokerConfig>;
  /** Called when this broker opens a partition it leads, so that its followers open theirs. */
  readonly onLeaderOpened?: (topic: string, partition: number, replicas: readonly number[]) => void;
  readonly logger?: Logger;
  /** Opens a partition folder's store (fault-injection tests); default a `FileStore`. */
  readonly openStore?: (dir: string) => Store;
}

const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

interface Hosted {
  readonly topic: string;
  readonly topicId: Uuid;
  readonly partition: number;
  readonly replica: Partition;
}

/** One partition replica host. */
export class Broker {
  readonly nodeId: number;
  readonly config: BrokerConfig;
  private readonly dataDir: string;
  private readonly clock: Clock;
  private readonly controller: ControllerChannel;
  private readonly peers: BrokerChannel;
  private readonly clusterId: string;
  private readonly incarnationId: Uuid;
  private readonly onLeaderOpened: BrokerOptions['onLeaderOpened'];

  private image: MetadataImage | undefined;
  private readonly seenTopics = new Map<Uuid, TopicImage>();
  private readonly hosted = new Map<string, Hosted>();
  private readonly opening = new Map<string, Promise<Hosted | undefined>>();
  /** Partitions asked to open before this broker's metadata had them. */
  private readonly wantOpen = new Set<string>();
  private readonly wakeups = new Wakeups();
  private readonly ackWaiters = new Map<number, (r: { errorCode: ErrorCode; firstOffset: number }) => void>();
  private nextToken = 1;
  private readonly fetchers: ReplicaFetchers;
  private readonly hwCheckpoint: Map<string, number>;
  /** The logs as storage: opening, flush-always durability, offline replicas. */
  readonly logs: LogManager;
  readonly stats: BrokerTopicStats;
  private readonly topicMetadata: AutoTopicCreationManager;

  private brokerEpoch = -1;
  private fenced = true;
  private stopped = false;
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private producerIds = { next: 0, end: 0 };
  private producerIdsPending: Promise<void> | undefined;
  private heartbeatInFlight = false;
  private readonly registered: Promise<void>;
  private resolveRegistered!: () => void;

  constructor(options: BrokerOptions) {
    this.nodeId = options.nodeId;
    this.config = { ...defaultBrokerConfig, ...options.config };
    this.dataDir = options.dataDir;
    this.clock = options.clock ?? systemClock;
    this.controller = options.controller;
    this.peers = options.peers;
    this.clusterId = options.clusterId;
    this.incarnationId = options.incarnationId;
    this.onLeaderOpened = options.onLeaderOpened;
    this.stats = new BrokerTopicStats(this.nodeId, options.logger);
    this.hwCheckpoint = readHighWatermarkCheckpoint(this.dataDir);
    this.logs = new LogManager({ dataDir: this.dataDir, nodeId: this.nodeId, clock: this.clock, log: this.stats.log, ...(options.openStore ? { openStore: options.openStore } : {}) });
    this.registered = new Promise((r) => (this.resolveRegistered = r));
    const key = (r: { topic: string; partition: number }) => tpKey(r.topic, r.partition);
    this.fetchers = new ReplicaFetchers({
      nodeId: this.nodeId,
      peers: this.peers,
      fetchWaitMaxMs: this.config.replicaFetchWaitMaxMs,
      isStopped: () => this.stopped,
      hosted: () => this.hosted.values(),
      isHosted: (r) => this.hosted.get(key(r)) === r,
      storageFailed: (r, err) => this.storageFailed(r as Hosted, err),
      flush: (r) => this.flushReplica(r as Hosted),
      changed: (r) => this.wakeups.wake(key(r)),
    });
    this.topicMetadata = new AutoTopicCreationManager({ clusterId: this.clusterId, host: this.config.host, controller: this.controller, autoCreateTopicsEnable: this.config.autoCreateTopicsEnable });
  }

  private groupHandler: ((request: Request, context?: RequestContext) => Promise<unknown>) | undefined;

  /** Sets the handler of the group APIs (FindCoordinator, JoinGroup, ..., OffsetFetch): the group coordinator's shell. */
  setGroupHandler(handler: ((request: Request, context?: RequestContext) => Promise<unknown>) | undefined): void {
    this.groupHandler = handler;
  }

  /** The metadata image this broker follows, if it has one yet. */
  get metadataImage(): MetadataImage | undefined {
    return this.image;
  }

  /** Submits a request to the active controller (for shells hosted on this broker, such as the group coordinator). */
  submitToController<R extends ControllerRequest>(request: R): Promise<ControllerResponse<R>> {
    return this.controller.submit(request);
  }

  /**
   * Resolves on the next change to a partition on this broker (an append, a high watermark
   * move, a leadership change), or after `timeoutMs`.
   */
  waitForChange(topic: string, partition: number, timeoutMs: number): Promise<void> {
    return this.wakeups.wait([tpKey(topic, partition)], timeoutMs);
  }

  /** Wakes whoever waits on a partition (a shell that changed it). */
  notifyChange(topic: string, partition: number): void {
    this.wakeups.wake(tpKey(topic, partition));
  }

  /** Registers with the controller and starts the heartbeat, ISR and housekeeping timers. */
  start(): void {
    const every = (ms: number, fn: () => void) => this.timers.push(setInterval(fn, ms));
    every(this.config.heartbeatIntervalMs, () => void this.heartbeat());
    every(100, () => this.tickPartitions());
    every(this.config.highWatermarkCheckpointIntervalMs, () => this.checkpointHighWatermarks());
    every(this.config.logRetentionCheckIntervalMs, () => void this.logs.cleanupLogs([...this.hosted.values()].map((h) => h.replica), this.clock.now()));
    void this.heartbeat();
  }

  /** Resolves once the controller has registered and unfenced this broker. */
  whenRegistered(): Promise<void> {
    return this.registered;
  }

  get isFenced(): boolean {
    return this.fenced;
  }

  /** The replica of a partition on this broker, if open. */
  replica(topic: string, partition: number): Partition | undefined {
    return this.hosted.get(tpKey(topic, partition))?.replica;
  }

  // ------------------------------------------------------------------ metadata

  /** Follows a new committed image: roles of the open replicas, deleted topics, fencing. */
  applyImage(image: MetadataImage): void {
    if (this.stopped) return;
    this.image = image;
    const me = image.broker(this.nodeId);
    if (me && me.epoch === this.brokerEpoch && !me.fenced && this.fenced) {
      this.fenced = false;
      this.resolveRegistered();
    } else if (me && me.epoch === this.brokerEpoch && me.fenced) {
      this.fenced = true;
    }
    // Registered and now caught up with our own registration: ask to be unfenced at once
    // rather than at the next heartbeat.
    if (this.fenced && this.brokerEpoch >= 0 && image.offset >= this.brokerEpoch && !this.heartbeatInFlight) void this.heartbeat();
    this.applyConfigChanges(image);
    const now = this.clock.monotonic();
    const live = new Set<Uuid>();
    image.forEachTopic((topic) => {
      live.add(topic.id);
      if (this.seenTopics.get(topic.id) === topic) return;
      this.seenTopics.set(topic.id, topic);
      for (let p = 0; p < topic.partitions.length; p++) {
        const h = this.hosted.get(tpKey(topic.name, p));
        if (h && h.topicId === topic.id) this.applyPartition(h, topic.partitions[p]!, now);
        else if (!h && topic.partitions[p]!.replicas.includes(this.nodeId) && (this.wantOpen.has(tpKey(topic.name, p)) || existsSync(join(this.dataDir, `${topic.name}-${p}`)))) {
          // A replica its leader opened before this broker's metadata had the topic, or one
          // with data from before a restart: open it now, so that it catches up and joins
          // (or rejoins) the ISR without waiting for a client to touch it.
          this.wantOpen.delete(tpKey(topic.name, p));
          void this.openReplica(topic.name, p);
        }
      }
    });
    for (const [id, topic] of this.seenTopics) {
      if (live.has(id)) continue;
      this.seenTopics.delete(id);
      for (let p = 0; p < topic.partitions.length; p++) void this.dropReplica(topic.name, p, topic.id, true);
    }
  }

  /**
   * Dynamic topic configs: when a topic's configs (or the cluster-wide defaults) change in
   * the metadata, the open logs of that topic get the new settings, and its replicas the
   * new min.insync.replicas (images share unchanged config maps, so a reference compare
   * finds the changes).
   */
  private applyConfigChanges(image: MetadataImage): void {
    const defaults = image.configs(ConfigResourceType.Broker, '');
    const defaultsChanged = defaults !== this.seenDefaultConfigs;
    this.seenDefaultConfigs = defaults;
    const changed = new Set<string>();
    for (const h of this.hosted.values()) {
      if (changed.has(h.topic)) continue;
      const configs = image.configs(ConfigResourceType.Topic, h.topic);
      if (defaultsChanged || this.seenTopicConfigs.get(h.topic) !== configs) changed.add(h.topic);
      this.seenTopicConfigs.set(h.topic, configs);
    }
    if (changed.size === 0) return;
    for (const h of this.hosted.values()) {
      if (!changed.has(h.topic)) continue;
      try {
        (h.replica.log as PartitionLog).updateConfig(logConfigFor(image, h.topic));
      } catch {
        // A value the log refuses keeps the old one; the controller validated it already.
      }
    }
  }

  private seenDefaultConfigs: unknown;
  private readonly seenTopicConfigs = new Map<string, unknown>();

  private applyPartition(h: Hosted, reg: PartitionRegistration, now: number): void {
    if (!reg.replicas.includes(this.nodeId)) {
      void this.dropReplica(h.topic, h.partition, h.topicId, true);
      return;
    }
    const state = { leader: reg.leader, leaderEpoch: reg.leaderEpoch, partitionEpoch: reg.partitionEpoch, replicas: reg.replicas, isr: reg.isr };
    this.stats.leadership(h.topic, h.partition, h.replica.role === 'leader' ? h.replica.leaderEpoch : -1, reg.leader === this.nodeId ? reg.leaderEpoch : -1);
    if (reg.leader === this.nodeId) h.replica.makeLeader(state, now);
    else {
      h.replica.makeFollower(state, now);
      if (reg.leader >= 0) this.fetchers.ensure(reg.leader);
    }
    this.settleAcks(h.replica);
    this.wakeups.wake(tpKey(h.topic, h.partition));
  }

  /** Opens this broker's replica of a partition, if the metadata gives it one. */
  async openReplica(topic: string, partition: number): Promise<Hosted | undefined> {
    const key = tpKey(topic, partition);
    const open = this.hosted.get(key);
    if (open) return open;
    let pending = this.opening.get(key);
    if (pending === undefined) {
      pending = this.doOpen(topic, partition).finally(() => this.opening.delete(key));
      this.opening.set(key, pending);
    }
    return pending;
  }

  private async doOpen(topic: string, partition: number): Promise<Hosted | undefined> {
    const image = this.image;
    const t = image?.topic(topic);
    const reg = t?.partitions[partition];
    if (!image || !t || !reg) {
      // Not in this broker's metadata yet (its leader is ahead of it): open it when it is.
      if (!this.stopped) this.wantOpen.add(tpKey(topic, partition));
      return undefined;
    }
    if (!reg.replicas.includes(this.nodeId) || this.stopped || this.logs.isOffline(topic, partition)) return undefined;
    try {
      return await this.openLog(topic, partition, image, t);
    } catch (err) {
      // A storage fault on one folder takes that replica offline, never the process.
      this.logs.markOffline(topic, partition, t.id, err);
      void this.heartbeat();
      return undefined;
    }
  }

  private async openLog(topic: string, partition: number, image: MetadataImage, t: TopicImage): Promise<Hosted | undefined> {
    // The log manager checks and writes Kafka's partition.metadata (the topic id a folder holds).
    const log = await this.logs.open(topic, partition, logConfigFor(image, topic), t.id);
    const hw = this.hwCheckpoint.get(`${topic}-${partition}`);
    let replica: Partition;
    try {
      if (this.stopped) throw new TributaryError('NETWORK_EXCEPTION', `broker ${this.nodeId} stopped while ${topic}-${partition} opened`);
      replica = new Partition({
        log,
        brokerId: this.nodeId,
        ...(hw !== undefined ? { highWatermark: hw } : {}),
        // Under flush always a record counts toward the high watermark only once synced, on
        // the leader and on every follower (docs/design/durability.md).
        config: { minInsyncReplicas: minInsyncReplicasFor(image, topic), replicaLagTimeMaxMs: this.config.replicaLagTimeMaxMs, hwRequiresFlush: log.config.flushPolicy === 'always' },
        isReplicaEligible: (id) => {
          const b = this.image?.broker(id);
          return b !== undefined && !b.fenced;
        },
      });
    } catch (err) {
      log.abandon(); // a damaged batch read while loading the producer state, a folder turned read-only
      if (this.stopped) return undefined;
      throw err;
    }
    const h: Hosted = { topic, topicId: t.id, partition, replica };
    this.hosted.set(tpKey(topic, partition), h);
    // The newest registration: the image may have moved on while the log opened.
    const latest = this.image?.topic(topic);
    if (latest && latest.id === t.id && latest.partitions[partition]) this.applyPartition(h, latest.partitions[partition], this.clock.monotonic());
    else void this.dropReplica(topic, partition, t.id, false);
    if (replica.role === 'leader') this.onLeaderOpened?.(topic, partition, replica.replicas);
    return h;
  }

  private async dropReplica(topic: string, partition: number, topicId: Uuid, deleteFiles: boolean): Promise<void> {
    const key = tpKey(topic, partition);
    const h = this.hosted.get(key);
    if (!h || h.topicId !== topicId) return;
    this.hosted.delete(key);
    this.hwCheckpoint.delete(`${topic}-${partition}`);
    this.wakeups.wake(key);
    await (h.replica.log as PartitionLog).close().catch(() => {});
    if (deleteFiles) rmSync(join(this.dataDir, `${topic}-${partition}`), { recursive: true, force: true });
  }

  // ------------------------------------------------------------------ requests

  /** Answers one request (`context`: who sent it, when it came over a socket). Bad input gets an error response or a typed error, never a crash. */
  async handle<R extends Request>(request: R, context?: RequestContext): Promise<ResponseFor<R>> {
    if (this.stopped) throw new TributaryError('NETWORK_EXCEPTION', `broker ${this.nodeId} is stopped`);
    const req = validateRequest(request);
    const started = performance.now();
    return (await this.dispatch(req, context).finally(() => this.stats.request(req.apiKey, performance.now() - started))) as ResponseFor<R>;
  }

  private async dispatch(req: Request, context: RequestContext | undefined): Promise<unknown> {
    switch (req.apiKey) {
      case ApiKey.Produce:
        return this.produce(req);
      case ApiKey.Fetch:
        return this.fetch(req);
      case ApiKey.ListOffsets:
        return this.listOffsets(req);
      case ApiKey.Metadata:
        return this.topicMetadata.metadata(this.requireImage(), req);
      case ApiKey.ApiVersions:
        return { apiKey: ApiKey.ApiVersions, errorCode: 'NONE', apiKeys: [], throttleTimeMs: 0 } satisfies P.ApiVersionsResponse;
      case ApiKey.InitProducerId:
        return this.initProducerId();
      case ApiKey.CreateTopics:
        return { apiKey: ApiKey.CreateTopics, topics: await createTopicsFromClient(req, (r) => this.controller.submit(r)) } satisfies P.CreateTopicsResponse;
      case ApiKey.DeleteTopics:
        return { apiKey: ApiKey.DeleteTopics, responses: await deleteTopicsFromClient(req, this.image, (r) => this.controller.submit(r)) } satisfies P.DeleteTopicsResponse;
      case ApiKey.CreatePartitions: {
        const r = await this.controller.submit({ type: 'CreatePartitions', topics: req.topics, validateOnly: req.validateOnly ?? false });
        return { apiKey: ApiKey.CreatePartitions, results: r.results } satisfies P.CreatePartitionsResponse;
      }
      case ApiKey.IncrementalAlterConfigs: {
        const r = await this.controller.submit({ type: 'IncrementalAlterConfigs', resources: req.resources, validateOnly: req.validateOnly ?? false });
        return { apiKey: ApiKey.IncrementalAlterConfigs, responses: r.responses } satisfies P.IncrementalAlterConfigsResponse;
      }
      case ApiKey.DescribeConfigs: {
        const image = this.requireImage();
        const r = describeConfigs(image, { type: 'DescribeConfigs', resources: req.resources });
        return { apiKey: ApiKey.DescribeConfigs, results: r.results } satisfies P.DescribeConfigsResponse;
      }
      case ApiKey.DeleteRecords:
        return this.deleteRecords(req);
      case ApiKey.DescribeCluster:
        return describeClusterResponse(this.requireImage(), { host: this.config.host, clusterId: this.clusterId, controllerId: this.controller.activeControllerId() });
      case ApiKey.FindCoordinator:
      case ApiKey.JoinGroup:
      case ApiKey.SyncGroup:
      case ApiKey.Heartbeat:
      case ApiKey.LeaveGroup:
      case ApiKey.OffsetCommit:
      case ApiKey.OffsetFetch:
      case ApiKey.ListGroups:
      case ApiKey.DescribeGroups:
      case ApiKey.DeleteGroups:
        if (this.groupHandler === undefined) throw new TributaryError('COORDINATOR_NOT_AVAILABLE', `broker ${this.nodeId} has no group coordinator`);
        return this.groupHandler(req, context);
      default:
        throw new TributaryError('UNSUPPORTED_VERSION', `broker ${this.nodeId} does not serve API ${req.apiKey} yet`);
    }
  }

  private requireImage(): MetadataImage {
    if (!this.image) throw new TributaryError('LEADER_NOT_AVAILABLE', `broker ${this.nodeId} has no metadata yet`);
    return this.image;
  }

  /** The replica for a request that must reach the partition's leader: opened, or why not. */
  private async leaderReplica(topic: string, partition: number): Promise<{ replica: Partition; hosted: Hosted } | { errorCode: ErrorCode }> {
    const image = this.image;
    const t = image?.topic(topic);
    if (!image || !t) return { errorCode: 'UNKNOWN_TOPIC_OR_PARTITION' };
    const reg = t.partitions[partition];
    if (!reg) return { errorCode: 'UNKNOWN_TOPIC_OR_PARTITION' };
    if (reg.leader !== this.nodeId) return { errorCode: reg.leader < 0 ? 'LEADER_NOT_AVAILABLE' : 'NOT_LEADER_OR_FOLLOWER' };
    if (this.logs.isOffline(topic, partition)) return { errorCode: 'KAFKA_STORAGE_ERROR' };
    const h = await this.openReplica(topic, partition);
    if (!h) return { errorCode: 'NOT_LEADER_OR_FOLLOWER' };
    if (h.replica.role !== 'leader') return { errorCode: 'NOT_LEADER_OR_FOLLOWER' };
    return { replica: h.replica, hosted: h };
  }

  /** A storage fault on an open replica: it goes offline, its waiting produces fail, the controller hears at once. */
  private storageFailed(h: Hosted, err: unknown): void {
    if (this.hosted.get(tpKey(h.topic, h.partition)) !== h) return;
    this.hosted.delete(tpKey(h.topic, h.partition));
    this.logs.markOffline(h.topic, h.partition, h.topicId, err, h.replica.log as PartitionLog);
    h.replica.failAllAcks('KAFKA_STORAGE_ERROR');
    this.settleAcks(h.replica);
    this.wakeups.wake(tpKey(h.topic, h.partition));
    void this.heartbeat();
  }

  /** Syncs what a replica appended (flush always), then lets its high watermark or its fetcher move; false if the sync failed. */
  private flushReplica(h: Hosted): Promise<boolean> {
    return this.logs.flush(h.replica).then(
      () => (this.settleAcks(h.replica), this.wakeups.wake(tpKey(h.topic, h.partition)), true),
      (err: unknown) => (isStorageFault(err) && this.storageFailed(h, err), false),
    );
  }

  private async produce(req: P.ProduceRequest): Promise<P.ProduceResponse> {
    const now = this.clock.monotonic();
    const responses = await perPartition(req.topicData, (t) => t.partitionData, (name, partitionResponses: P.PartitionProduceResponse[]) => ({ name, partitionResponses }), async (t, pd): Promise<P.PartitionProduceResponse> => {
            const fail = (errorCode: ErrorCode, errorMessage: string | null = null): P.PartitionProduceResponse => ({ index: pd.index, errorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, errorMessage });
            if (isInternalTopic(t.name)) return fail('INVALID_TOPIC_EXCEPTION', internalProduceMessage(t.name));
            const r = await this.leaderReplica(t.name, pd.index);
            if ('errorCode' in r) return fail(r.errorCode);
            const p = r.replica;
            if (pd.records === null || pd.records.length === 0) return fail('INVALID_REQUEST', 'no records');
            const token = this.nextToken++;
            let outcome: ReturnType<Partition['appendAsLeader']>;
            try {
              outcome = p.appendAsLeader(pd.records, { acks: req.acks, timeoutMs: req.timeoutMs, token }, now);
            } catch (err) {
              if (!isStorageFault(err)) throw err;
              outcome = { errorCode: 'KAFKA_STORAGE_ERROR', message: asStorageFault(err, t.name, pd.index).message };
            }
            this.wakeups.wake(tpKey(t.name, pd.index));
            const seen = this.logs.afterLeaderAppend(t.name, pd.index, outcome.errorCode, 'message' in outcome ? outcome.message : undefined);
            if (seen.offline) this.storageFailed(r.hosted, new TributaryError('KAFKA_STORAGE_ERROR', seen.message ?? 'a write failed'));
            if (outcome.errorCode !== 'NONE' || !('firstOffset' in outcome)) return fail(outcome.errorCode, seen.message ?? null);
            // Flush always: acks=1 answers after the sync that covers the append; acks=all
            // after the high watermark passes it, which needs every ISR member's sync.
            const synced = p.config.hwRequiresFlush && !outcome.duplicate ? this.flushReplica(r.hosted) : undefined;
            if (synced !== undefined && req.acks === 1 && !(await synced)) return fail('KAFKA_STORAGE_ERROR', 'the sync of the append failed');
            if (!outcome.duplicate) this.stats.produced(t.name, pd.index, outcome.firstOffset, outcome.lastOffset, pd.records.length);
            const done = { index: pd.index, errorCode: 'NONE' as ErrorCode, baseOffset: outcome.firstOffset, logAppendTimeMs: outcome.logAppendTime >= 0 ? outcome.logAppendTime : -1, logStartOffset: p.logStartOffset };
            if (!outcome.pending) return done;
            const ack = await new Promise<{ errorCode: ErrorCode; firstOffset: number }>((resolve) => {
              this.ackWaiters.set(token, resolve);
              this.settleAcks(p);
            });
            if (ack.errorCode !== 'NONE') return fail(ack.errorCode);
            return { ...done, baseOffset: ack.firstOffset };
    });
    return { apiKey: ApiKey.Produce, responses, throttleTimeMs: 0 };
  }

  /** Hands acks=all completions to the produces waiting for them. */
  private settleAcks(p: Partition): void {
    for (const c of p.drainAcks()) {
      const w = this.ackWaiters.get(c.token);
      if (w) {
        this.ackWaiters.delete(c.token);
        w({ errorCode: c.errorCode, firstOffset: c.firstOffset });
      }
    }
  }

  private async fetch(req: P.FetchRequest): Promise<P.FetchResponse> {
    const start = this.clock.monotonic();
    const keys = req.topics.flatMap((t) => t.partitions.map((p) => tpKey(t.topic, p.partition)));
    for (;;) {
      const { response, bytes, errors } = await this.readFetch(req);
      const waited = this.clock.monotonic() - start;
      if (bytes >= Math.max(1, req.minBytes) || errors || waited >= req.maxWaitMs || this.stopped) return response;
      await this.wakeups.wait(keys, req.maxWaitMs - waited);
    }
  }

  private async readFetch(req: P.FetchRequest): Promise<{ response: P.FetchResponse; bytes: number; errors: boolean }> {
    const now = this.clock.monotonic();
    const isFollower = req.replicaId >= 0;
    let bytes = 0;
    let errors = false;
    let budget = req.maxBytes > 0 ? req.maxBytes : 50 * 1024 * 1024;
    const responses: P.FetchTopicResponse[] = [];
    for (const t of req.topics) {
      const partitions: P.FetchPartitionResponse[] = [];
      for (const fp of t.partitions) {
        const fail = (errorCode: ErrorCode): P.FetchPartitionResponse => ({ partitionIndex: fp.partition, errorCode, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, abortedTransactions: null, preferredReadReplica: -1, records: null });
        const r = await this.leaderReplica(t.topic, fp.partition);
        if ('errorCode' in r) {
          errors = true;
          partitions.push(fail(r.errorCode));
          continue;
        }
        const p = r.replica;
        const hwBefore = p.highWatermark;
        let out: ReturnType<Partition['fetchAsLeader']>;
        try {
          out = p.fetchAsLeader(
            { replicaId: req.replicaId, fetchOffset: fp.fetchOffset, lastFetchedEpoch: isFollower ? (fp.lastFetchedEpoch ?? -1) : -1, currentLeaderEpoch: fp.currentLeaderEpoch ?? -1, maxBytes: Math.max(1, Math.min(fp.partitionMaxBytes, budget)) },
            now,
          );
        } catch (err) {
          if (!isStorageFault(err)) throw err;
          this.storageFailed(r.hosted, err); // a damaged batch, an unreadable file
          errors = true;
          partitions.push(fail('KAFKA_STORAGE_ERROR'));
          continue;
        }
        if (out.proposal) void this.alterPartition(t.topic, fp.partition, out.proposal);
        if (p.highWatermark !== hwBefore) {
          this.settleAcks(p);
          this.wakeups.wake(tpKey(t.topic, fp.partition));
        }
        const res = out.response;
        this.stats.fetched(req.replicaId, t.topic, fp.partition, fp.fetchOffset, res.records, res.highWatermark);
        if (res.errorCode !== 'NONE') errors = true;
        if (res.divergingEpoch) errors = true; // answer at once: the follower must truncate
        bytes += res.records.length;
        budget = Math.max(0, budget - res.records.length);
        partitions.push({
          partitionIndex: fp.partition,
          errorCode: res.errorCode,
          highWatermark: res.highWatermark,
          lastStableOffset: res.highWatermark,
          logStartOffset: res.logStartOffset,
          ...(res.divergingEpoch ? { divergingEpoch: res.divergingEpoch } : {}),
          abortedTransactions: noAborted,
          preferredReadReplica: -1,
          records: res.records,
        });
      }
      responses.push({ topic: t.topic, partitions });
    }
    return { response: { apiKey: ApiKey.Fetch, errorCode: 'NONE', sessionId: 0, responses, throttleTimeMs: 0 }, bytes, errors };
  }

  private async listOffsets(req: P.ListOffsetsRequest): Promise<P.ListOffsetsResponse> {
    const topics = await perPartition(req.topics, (t) => t.partitions, (name, partitions: P.ListOffsetsPartitionResponse[]) => ({ name, partitions }), async (t, lp): Promise<P.ListOffsetsPartitionResponse> => {
            const fail = (errorCode: ErrorCode): P.ListOffsetsPartitionResponse => ({ partitionIndex: lp.partitionIndex, errorCode, timestamp: -1, offset: -1, leaderEpoch: -1 });
            const r = await this.leaderReplica(t.name, lp.partitionIndex);
            if ('errorCode' in r) return fail(r.errorCode);
            const p = r.replica;
            if (lp.currentLeaderEpoch !== undefined && lp.currentLeaderEpoch >= 0 && lp.currentLeaderEpoch !== p.leaderEpoch) {
              return fail(lp.currentLeaderEpoch < p.leaderEpoch ? 'FENCED_LEADER_EPOCH' : 'UNKNOWN_LEADER_EPOCH');
            }
            const ok = (offset: number, timestamp = -1): P.ListOffsetsPartitionResponse => ({ partitionIndex: lp.partitionIndex, errorCode: 'NONE', timestamp, offset, leaderEpoch: p.leaderEpoch });
            if (lp.timestamp === -1) return ok(p.highWatermark);
            if (lp.timestamp === -2) return ok(p.logStartOffset);
            if (lp.timestamp < 0) return fail('UNSUPPORTED_VERSION');
            const found = await p.log.offsetForTimestamp(lp.timestamp);
            // Only what consumers may read: a record at or past the high watermark is not found yet.
            if (found === undefined || found.offset >= p.highWatermark) return ok(-1);
            return ok(found.offset, found.timestamp);
    });
    return { apiKey: ApiKey.ListOffsets, topics, throttleTimeMs: 0 };
  }

  private async deleteRecords(req: P.DeleteRecordsRequest): Promise<P.DeleteRecordsResponse> {
    const topics = await perPartition(req.topics, (t) => t.partitions, (name, partitions: P.DeleteRecordsPartitionResult[]) => ({ name, partitions }), async (t, dp): Promise<P.DeleteRecordsPartitionResult> => {
            const r = await this.leaderReplica(t.name, dp.partitionIndex);
            if ('errorCode' in r) return { partitionIndex: dp.partitionIndex, lowWatermark: -1, errorCode: r.errorCode };
            const p = r.replica;
            // -1 means "up to the high watermark", as in Kafka.
            const offset = dp.offset === -1 ? p.highWatermark : dp.offset;
            if (offset < 0 || offset > p.highWatermark) return { partitionIndex: dp.partitionIndex, lowWatermark: -1, errorCode: 'OFFSET_OUT_OF_RANGE' };
            const low = await p.log.deleteRecords(offset);
            return { partitionIndex: dp.partitionIndex, lowWatermark: low, errorCode: 'NONE' };
    });
    return { apiKey: ApiKey.DeleteRecords, topics, throttleTimeMs: 0 };
  }

  private async initProducerId(): Promise<P.InitProducerIdResponse> {
    while (this.producerIds.next >= this.producerIds.end) {
      if (!this.producerIdsPending) {
        this.producerIdsPending = (async () => {
          const r = await this.controller.submit({ type: 'AllocateProducerIds', brokerId: this.nodeId, brokerEpoch: this.brokerEpoch });
          if (r.errorCode !== 'NONE') throw new TributaryError(r.errorCode, r.errorMessage ?? 'producer ids not allocated');
          this.producerIds = { next: r.producerIdStart, end: r.producerIdStart + r.producerIdLen };
        })().finally(() => (this.producerIdsPending = undefined));
      }
      try {
        await this.producerIdsPending;
      } catch (err) {
        const code: ErrorCode = isTributaryError(err) ? err.code : 'UNKNOWN_SERVER_ERROR';
        return { apiKey: ApiKey.InitProducerId, errorCode: code, producerId: -1, producerEpoch: -1, throttleTimeMs: 0 };
      }
    }
    return { apiKey: ApiKey.InitProducerId, errorCode: 'NONE', producerId: this.producerIds.next++, producerEpoch: 0, throttleTimeMs: 0 };
  }

  // ------------------------------------------------------------------ replication

  private async alterPartition(topic: string, partition: number, proposal: AlterIsrProposal): Promise<void> {
    const h = this.hosted.get(tpKey(topic, partition));
    if (!h) return;
    try {
      const r = await this.controller.submit({
        type: 'AlterPartition',
        brokerId: this.nodeId,
        brokerEpoch: this.brokerEpoch,
        topics: [{ topicId: h.topicId, partitions: [{ partitionIndex: partition, leaderEpoch: proposal.leaderEpoch, newIsr: proposal.newIsr, partitionEpoch: proposal.partitionEpoch }] }],
      });
      const pr = r.topics[0]?.partitions[0];
      if (this.hosted.get(tpKey(topic, partition)) !== h) return;
      h.replica.alterPartitionResponse(
        pr ? { errorCode: pr.errorCode, leaderEpoch: pr.leaderEpoch, partitionEpoch: pr.partitionEpoch, isr: pr.isr } : { errorCode: r.errorCode, leaderEpoch: -1, partitionEpoch: -1, isr: [] },
      );
      this.settleAcks(h.replica);
      this.wakeups.wake(tpKey(topic, partition));
    } catch {
      // The controller moved or is unreachable: the partition retries the proposal on its own.
    }
  }

  private tickPartitions(): void {
    if (this.stopped) return;
    const now = this.clock.monotonic();
    for (const h of this.hosted.values()) {
      const out = h.replica.tick(now);
      if (out.proposal) void this.alterPartition(h.topic, h.partition, out.proposal);
      this.settleAcks(h.replica);
      // Flush always, for appends no produce flushed (the group coordinator's writes).
      if (h.replica.config.hwRequiresFlush && h.replica.flushedOffset < h.replica.logEndOffset) void this.flushReplica(h);
    }
  }

  // ------------------------------------------------------------------ controller session

  private async heartbeat(): Promise<void> {
    if (this.stopped || this.heartbeatInFlight) return;
    this.heartbeatInFlight = true;
    try {
      if (this.brokerEpoch < 0) {
        const r = await this.controller.submit({
          type: 'BrokerRegistration',
          brokerId: this.nodeId,
          clusterId: this.clusterId,
          incarnationId: this.incarnationId,
          listeners: [{ name: 'PLAINTEXT', host: this.config.host, port: this.config.port, securityProtocol: 0 }],
          rack: null,
        });
        if (r.errorCode !== 'NONE') return; // e.g. the old incarnation's session still lives: try again next beat
        this.brokerEpoch = r.brokerEpoch;
      }
      const offline = this.logs.offlineReplicas();
      const r = await this.controller.submit({ type: 'BrokerHeartbeat', brokerId: this.nodeId, brokerEpoch: this.brokerEpoch, currentMetadataOffset: this.image?.offset ?? -1, ...(offline.length > 0 ? { offlineReplicas: offline } : {}) });
      if (r.errorCode === 'STALE_BROKER_EPOCH' || r.errorCode === 'BROKER_ID_NOT_REGISTERED') this.brokerEpoch = -1;
    } catch {
      // No active controller right now: the next beat tries again.
    } finally {
      this.heartbeatInFlight = false;
    }
  }

  // ------------------------------------------------------------------ housekeeping

  private checkpointHighWatermarks(): void {
    if (this.stopped) return;
    for (const h of this.hosted.values()) this.hwCheckpoint.set(`${h.topic}-${h.partition}`, h.replica.highWatermark);
    const entries = [...this.hwCheckpoint].map(([k, offset]) => {
      const i = k.lastIndexOf('-');
      return { topic: k.slice(0, i), partition: Number(k.slice(i + 1)), offset };
    });
    try {
      writeHighWatermarkCheckpoint(this.dataDir, entries);
    } catch {
      // A full disk: the next checkpoint tries again; the logs themselves are intact.
    }
  }

  // ------------------------------------------------------------------ shutdown

  /** A clean shutdown: leaves the ISRs and leaderships (controlled shutdown), checkpoints, closes every log. */
  async close(): Promise<void> {
    if (this.stopped) return;
    // No periodic heartbeat after the shutdown one: it would unfence this broker again.
    for (const t of this.timers) clearInterval(t);
    if (this.brokerEpoch >= 0) {
      try {
        // 10 s, not 2: on a loaded machine the quorum's commit of this heartbeat took longer
        // than 2 s, the broker stopped unfenced, and new replicas went to the stopped node
        // (Kafka's broker waits minutes for its controlled shutdown).
        await withTimeout(this.controller.submit({ type: 'BrokerHeartbeat', brokerId: this.nodeId, brokerEpoch: this.brokerEpoch, currentMetadataOffset: this.image?.offset ?? -1, wantShutDown: true }), 10_000, 'controlled shutdown');
      } catch (err) {
        this.stats.log.warn({ nodeId: this.nodeId, err }, `node ${this.nodeId}: controlled shutdown failed (no active controller?); stopping anyway, the controller fences it when its session expires`);
      }
    }
    this.checkpointHighWatermarks();
    this.stop();
    await Promise.all([...this.hosted.values()].map((h) => (h.replica.log as PartitionLog).close().catch(() => {})));
    this.hosted.clear();
    this.logs.close();
  }

  /** Stops at once without a clean shutdown (failure tests): no checkpoint, logs dropped as they are. */
  kill(): void {
    if (this.stopped) return;
    this.stop();
    for (const h of this.hosted.values()) (h.replica.log as PartitionLog).abandon();
    this.hosted.clear();
    this.logs.abandon();
  }

  private stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.wakeups.wakeAll();
    for (const w of this.ackWaiters.values()) w({ errorCode: 'NOT_LEADER_OR_FOLLOWER', firstOffset: -1 });
    this.ackWaiters.clear();
  }
}
