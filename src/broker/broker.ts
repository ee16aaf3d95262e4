/**
 * `Broker`: one node's broker, a thin face over Kafka's parts, each in its own file:
 *
 * - `KafkaApis` (kafka-apis.ts): routes each request kind to its handler;
 * - `ReplicaManager` (replica-manager.ts): the partition replicas this broker hosts,
 *   appends with acks, delayed fetches, ISR changes, high-watermark checkpoints; with
 *   the replica fetchers (replica-fetcher.ts), one per leader it follows;
 * - `BrokerLifecycleManager` (broker-lifecycle-manager.ts): registration, heartbeats,
 *   fencing and the controlled shutdown;
 * - `LogManager` (log-manager.ts): the logs as storage: opening, durability, retention
 *   and compaction, offline replicas;
 * - `ProducerIdManager` (producer-id-manager.ts): producer ids for InitProducerId.
 *
 * Every decision about a replica is `Partition`'s (leadership, ISR, high watermark,
 * idempotence), a pure core; the parts above do the I/O around it. This class wires
 * them, runs their timers, and keeps the face `cluster-node.ts` and the group shell use.
 */
import type { MetadataImage } from '../metadata/image.js';
import type { ControllerRequest, ControllerResponse } from '../metadata/requests.js';
import type { Uuid } from '../metadata/uuid.js';
import type { Request, ResponseFor } from '../protocol/requests.js';
import type { Store } from '../storage/store.js';
import { every as everyOn, systemClock, type Clock, type RepeatingTimer } from '../util/clock.js';
import { TributaryError } from '../util/errors.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { BrokerLoggers } from './broker-loggers.js';
import { BrokerLifecycleManager } from './broker-lifecycle-manager.js';
import { BrokerTopicStats } from './broker-topic-stats.js';
import { KafkaApis, type GroupHandler, type KafkaApisOptions } from './kafka-apis.js';
import { LogManager } from './log-manager.js';
import type { Partition } from './partition.js';
import { ProducerIdManager } from './producer-id-manager.js';
import type { ProducePasses } from './hosted-partition.js';
import { ReplicaManager } from './replica-manager.js';
import type { RequestContext } from './request-context.js';

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
  /**
   * `fetch.max.bytes`: a Fetch's answer holds at most min(its `max_bytes`, this) bytes of
   * records (but always a first whole batch, KIP-74). At least 1024. Default 57671680
   * (55 MiB), Kafka's.
   */
  readonly fetchMaxBytes?: number;
  /** The host and port the broker advertises in metadata. */
  readonly host: string;
  readonly port: number;
  /** Its listener's name, which is its security protocol (registered with Kafka's id for it). Default PLAINTEXT. */
  readonly listenerName?: 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
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
  /** Called when this broker starts a term as a partition's leader (on opening it, or on taking over a replica it followed), so that its followers open theirs. */
  readonly onLeaderOpened?: (topic: string, partition: number, replicas: readonly number[]) => void;
  readonly logger?: Logger;
  /** Opens a partition folder's store (fault-injection tests); default a `FileStore`. */
  readonly openStore?: (dir: string) => Store;
  /** The node's settings that DescribeConfigs reports as its read-only broker configs. */
  readonly node?: KafkaApisOptions['node'];
}

/** One partition replica host. */
export class Broker {
  readonly nodeId: number;
  readonly config: BrokerConfig;
  /** The logs as storage: opening, flush-always durability, offline replicas. */
  readonly logs: LogManager;
  readonly stats: BrokerTopicStats;
  /** Its loggers as a BROKER_LOGGER config resource. */
  readonly loggers: BrokerLoggers;
  private readonly controller: ControllerChannel;
  private readonly lifecycle: BrokerLifecycleManager;
  private readonly replicas: ReplicaManager;
  private readonly apis: KafkaApis;
  private readonly timers: RepeatingTimer[] = [];
  private readonly clock: Clock;

  constructor(options: BrokerOptions) {
    this.nodeId = options.nodeId;
    this.config = { ...defaultBrokerConfig, ...options.config };
    const fetchMaxBytes = this.config.fetchMaxBytes;
    // Kafka's `ServerConfigs`: fetch.max.bytes is an int, at least 1024.
    if (fetchMaxBytes !== undefined && !(Number.isInteger(fetchMaxBytes) && fetchMaxBytes >= 1024 && fetchMaxBytes <= 0x7fffffff)) {
      throw new TributaryError('INVALID_CONFIG', `fetch.max.bytes must be an integer from 1024 to 2147483647, got ${fetchMaxBytes}`);
    }
    this.controller = options.controller;
    const clock: Clock = (this.clock = options.clock ?? systemClock);
    // The broker's lines go through its root logger, whose level IncrementalAlterConfigs of a BROKER_LOGGER sets.
    this.loggers = new BrokerLoggers(this.nodeId, options.logger ?? silentLogger);
    this.stats = new BrokerTopicStats(this.nodeId, this.loggers.logger);
    this.logs = new LogManager({ dataDir: options.dataDir, nodeId: this.nodeId, clock, log: this.stats.log, ...(options.openStore ? { openStore: options.openStore } : {}) });
    this.lifecycle = new BrokerLifecycleManager({
      nodeId: this.nodeId,
      clusterId: options.clusterId,
      incarnationId: options.incarnationId,
      controller: this.controller,
      endpoint: () => ({ host: this.config.host, port: this.config.port, name: this.config.listenerName ?? 'PLAINTEXT' }),
      metadataOffset: () => this.replicas.metadataImage?.offset ?? -1,
      offlineReplicas: () => this.logs.offlineReplicas(),
      log: this.stats.log,
      clock,
    });
    this.replicas = new ReplicaManager({
      nodeId: this.nodeId,
      dataDir: options.dataDir,
      clock,
      config: this.config,
      controller: this.controller,
      peers: options.peers,
      logs: this.logs,
      stats: this.stats,
      brokerEpoch: () => this.lifecycle.brokerEpoch,
      heartbeat: () => void this.lifecycle.heartbeat(),
      ...(options.onLeaderOpened ? { onLeaderOpened: options.onLeaderOpened } : {}),
    });
    const producerIds = new ProducerIdManager(this.nodeId, this.controller, () => this.lifecycle.brokerEpoch);
    this.apis = new KafkaApis({ nodeId: this.nodeId, clusterId: options.clusterId, config: this.config, clock, controller: this.controller, replicaManager: this.replicas, producerIds, stats: this.stats, loggers: this.loggers, ...(options.node !== undefined ? { node: options.node } : {}) });
  }

  /** Sets the handler of the group APIs (FindCoordinator, JoinGroup, ..., OffsetFetch): the group coordinator's shell. */
  setGroupHandler(handler: GroupHandler | undefined): void {
    this.apis.setGroupHandler(handler);
  }

  /** The metadata image this broker follows, if it has one yet. */
  get metadataImage(): MetadataImage | undefined {
    return this.replicas.metadataImage;
  }

  /** Submits a request to the active controller (for shells hosted on this broker, such as the group coordinator). */
  submitToController<R extends ControllerRequest>(request: R): Promise<ControllerResponse<R>> {
    return this.controller.submit(request);
  }

  /** Resolves on the next change to a partition here (an append, a high watermark move, a leadership change), after `timeoutMs`, or when `signal` aborts. */
  waitForChange(topic: string, partition: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.replicas.waitForChange(topic, partition, timeoutMs, signal);
  }

  /** Wakes whoever waits on a partition (a shell that changed it). */
  notifyChange(topic: string, partition: number): void {
    this.replicas.notifyChange(topic, partition);
  }

  /** Registers with the controller and starts the heartbeat, ISR and housekeeping timers. */
  start(): void {
    const every = (ms: number, fn: () => void) => this.timers.push(everyOn(this.clock, ms, fn));
    every(this.config.heartbeatIntervalMs, () => void this.lifecycle.heartbeat());
    every(Math.max(100, this.config.replicaLagTimeMaxMs / 2), () => this.replicas.tick()); // Kafka's isr-expiration; work due sooner: ReplicaManager.tickPromptly
    every(this.config.highWatermarkCheckpointIntervalMs, () => this.replicas.checkpointHighWatermarksInBackground());
    every(this.config.logRetentionCheckIntervalMs, () => void this.replicas.cleanupLogs());
    void this.lifecycle.heartbeat();
  }

  /** Resolves once the controller has registered and unfenced this broker. */
  whenRegistered(): Promise<void> {
    return this.lifecycle.whenRegistered();
  }

  get isFenced(): boolean {
    return this.lifecycle.isFenced;
  }

  /** What produce requests cost, in passes over their partitions (tests count them). */
  get producePasses(): Readonly<ProducePasses> {
    return this.replicas.passes;
  }

  /** The replica of a partition on this broker, if open. */
  replica(topic: string, partition: number): Partition | undefined {
    return this.replicas.replica(topic, partition);
  }

  /** Follows a new committed image: roles of the open replicas, deleted topics, fencing. */
  applyImage(image: MetadataImage): void {
    if (this.replicas.isStopped) return;
    this.replicas.applyImage(image);
    this.lifecycle.onImage(image);
  }

  /** Opens this broker's replica of a partition, if the metadata gives it one. */
  async openReplica(topic: string, partition: number): Promise<Partition | undefined> {
    return (await this.replicas.openReplica(topic, partition))?.replica;
  }

  /** Answers one request (`context`: who sent it, when it came over a socket). Bad input gets an error response or a typed error, never a crash. */
  async handle<R extends Request>(request: R, context?: RequestContext): Promise<ResponseFor<R>> {
    if (this.replicas.isStopped) throw new TributaryError('NETWORK_EXCEPTION', `broker ${this.nodeId} is stopped`);
    return this.apis.handle(request, context);
  }

  /** A clean shutdown: leaves the ISRs and leaderships (controlled shutdown), checkpoints, closes every log. */
  async close(): Promise<void> {
    if (this.replicas.isStopped) return;
    // No periodic heartbeat after the shutdown one: it would unfence this broker again.
    for (const t of this.timers) t.stop();
    await this.lifecycle.controlledShutdown();
    await this.replicas.shutdown();
  }

  /** Stops at once without a clean shutdown (failure tests): no checkpoint, logs dropped as they are. */
  kill(): void {
    if (this.replicas.isStopped) return;
    for (const t of this.timers) t.stop();
    this.lifecycle.stop();
    this.replicas.kill();
  }
}
