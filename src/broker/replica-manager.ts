/**
 * `ReplicaManager`: the partition replicas this broker hosts, Kafka's class of that name.
 *
 * - It follows the metadata image: each partition this broker holds a replica of becomes
 *   a leader or a follower as the controller committed it, and the replica of a deleted
 *   topic or a moved partition goes.
 * - It opens a replica's log (through the `LogManager`) on first use: a produce, a fetch,
 *   its leader opening it, or data from before a restart. So a cluster can hold many
 *   partitions with no file for most of them.
 * - It appends produced batches (acks 0, 1 and all) and serves fetches (consumers and
 *   followers). A fetch without enough data waits, up to `maxWaitMs`, until the change
 *   it waits for (Kafka's delayed fetch in its purgatory).
 * - It runs one replica fetcher per leader it follows (replica-fetcher.ts).
 * - It sends ISR changes to the controller (AlterPartition) and checkpoints high
 *   watermarks.
 *
 * **One place settles what a partition did.** Every call into a `Partition` (the pure
 * core) is followed by `settle`, and nothing else: it sends the ISR change the call
 * proposed, hands the acks=all completions the core decided to the produces waiting for
 * them (Kafka's delayed produce), and wakes the fetches waiting on the partition when its
 * high watermark, log start or end, leader epoch, partition epoch or role moved. A fetch
 * is woken only by a change, so two long-polling fetches never wake each other in a loop.
 * @internal
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { MetadataImage, PartitionRegistration, TopicImage } from '../metadata/image.js';
import type { Uuid } from '../metadata/uuid.js';
import { ApiKey } from '../protocol/api-keys.js';
import type * as P from '../protocol/index.js';
import { TailBudget } from '../storage/append-tail.js';
import { writeBehind, type WriteBehindResult } from '../storage/write-behind.js';
import { nextTurn, startTimer, stopTimer, systemClock, type Clock, type ClockTimer } from '../util/clock.js';
import type { ErrorCode } from '../util/error-codes.js';
import { TributaryError } from '../util/errors.js';
import type { BrokerChannel, BrokerConfig, BrokerOptions, ControllerChannel } from './broker.js';
import type { BrokerTopicStats } from './broker-topic-stats.js';
import { asStorageFault, isStorageFault, type LogManager } from './log-manager.js';
import { Partition, type AckCompletion, type AlterIsrProposal } from './partition.js';
import { tpKey, type Hosted, type ProduceEntry, type ProducePasses } from './hosted-partition.js';
import { HighWatermarkCheckpoints } from './offset-checkpoint-file.js';
import { ReplicaFetchers } from './replica-fetcher.js';
import { noAborted, noRecords, offsetAfterRecords } from './request-helpers.js';
import { Wakeups } from './wakeups.js';
import { convertForAppend, RecompressionGates } from './recompression.js';
import { forgetAhead, zstdBatchAhead } from './decompressed-ahead.js';
import { TopicConfigHandler } from './topic-config-handler.js';

export interface ReplicaManagerOptions {
  readonly nodeId: number;
  readonly dataDir: string;
  readonly clock: Clock;
  readonly config: BrokerConfig;
  readonly controller: ControllerChannel;
  readonly peers: BrokerChannel;
  readonly logs: LogManager;
  readonly stats: BrokerTopicStats;
  /** The broker epoch every AlterPartition carries. */
  readonly brokerEpoch: () => number;
  /** Heartbeats now: a replica went offline and the controller should hear at once. */
  readonly heartbeat: () => void;
  readonly onLeaderOpened?: BrokerOptions['onLeaderOpened'];
}

/**
 * A produce request over at least this many partitions has its small appends written by
 * the write-behind thread. Below it the round trip to that thread costs more than the
 * system calls it saves (one partition: about 1 us a batch written here against a message
 * each way).
 */
const writeBehindEntriesMin = 16;

/** How often replicas with work due soon (acks=all timeouts, proposals to retry, appends to flush) are ticked. */
const promptTickMs = 100;
/** The broker's `fetch.max.bytes` by default (a Fetch's answer holds at most min(max_bytes, this)): Kafka's, 55 MiB. */
export const fetchMaxBytesDefault = 57_671_680;

/** A flush-always replica with appends no produce flushed (the group coordinator's writes). */
const unflushed = (p: Partition): boolean => p.config.hwRequiresFlush && p.flushedOffset < p.logEndOffset;

/** Whether a replica has work within `promptTickMs` (`Partition.needsPromptTick`, or appends to flush). */
const dueSoon = (p: Partition): boolean => p.needsPromptTick || unflushed(p);

/**
 * How many new replicas a produce opens before it lets the event loop turn. Opening a
 * replica creates its folder and files, 0.1 to 2 ms each on a busy disk: a first record
 * to each of 2,000 new partitions in one request was seconds of file calls in one chain
 * of microtasks, long enough that the broker missed its heartbeats and was fenced
 * (seen at 10,000 partitions under load).
 */
const opensPerTurn = 128;

/** The replica for a request that must reach the partition's leader, or why not. */
export type LeaderLookup = { readonly replica: Partition } | { readonly errorCode: ErrorCode };

export class ReplicaManager {
  private readonly o: ReplicaManagerOptions;
  private image: MetadataImage | undefined;
  private readonly seenTopics = new Map<Uuid, TopicImage>();
  /** The topic configs its replicas open with, and the changes the images bring. */
  private readonly topicConfigs: TopicConfigHandler;
  private readonly hosted = new Map<string, Hosted>();
  /** Replicas with work due soon, which the prompt timer (armed while there are any) ticks every `promptTickMs`. */
  private readonly prompt = new Set<Hosted>();
  private promptTimer: ClockTimer | undefined;
  /** `hosted` again by topic, then partition: a produce's lookup of each partition makes no key string (with keyed records over 10,000 partitions, one a batch). */
  private readonly hostedByTopic = new Map<string, { readonly replicas: (Hosted | undefined)[]; count: number }>();
  /** Partitions asked to open before this broker's metadata had them. */
  private readonly wantOpen = new Set<string>();
  /** Replicas `applyImage` found to open (data from before a restart), opened `opensPerTurn` at a time by `openFound`. */
  private readonly found = new Map<string, readonly [topic: string, partition: number]>();
  private openingFound = false;
  private readonly wakeups: Wakeups;
  /** Each partition's appends in arrival order while batches of its topic are converted (compression.type). */
  private readonly gates = new RecompressionGates();
  /** What the leader tails of this broker's replicas keep together (storage/append-tail.ts). */
  private readonly tailBudget = new TailBudget();
  /** acks=all produces waiting for their completion, by token. */
  private readonly ackWaiters = new Map<number, (c: Pick<AckCompletion, 'errorCode' | 'firstOffset'>) => void>();
  private nextToken = 1;
  private readonly fetchers: ReplicaFetchers;
  private readonly hwCheckpoints: HighWatermarkCheckpoints;
  private stopped = false;
  /**
   * What produce requests cost, counted per pass rather than per partition: a request
   * over any number of partitions adds one to each (tests check it; see `appendRecords`).
   */
  readonly passes: ProducePasses = { requests: 0, lookup: 0, settle: 0, flush: 0, wakeSweeps: 0 };

  constructor(options: ReplicaManagerOptions) {
    this.o = options;
    this.topicConfigs = new TopicConfigHandler(options.nodeId);
    this.wakeups = new Wakeups(options.clock);
    this.hwCheckpoints = new HighWatermarkCheckpoints(options.dataDir);
    // Damage that the logs' background check finds (log-manager.ts) takes the replica offline.
    options.logs.onStorageFault = (topic, partition, err) => {
      const h = this.hosted.get(tpKey(topic, partition));
      if (h) this.storageFailed(h, err);
    };
    const key = (r: { topic: string; partition: number }) => tpKey(r.topic, r.partition);
    this.fetchers = new ReplicaFetchers({
      nodeId: options.nodeId,
      peers: options.peers,
      fetchWaitMaxMs: options.config.replicaFetchWaitMaxMs,
      clock: options.clock,
      isStopped: () => this.stopped,
      hosted: () => this.hosted.values(),
      isHosted: (r) => this.hosted.get(key(r)) === r,
      storageFailed: (r, err) => this.storageFailed(r as Hosted, err),
      flush: (r) => this.flushReplica(r as Hosted),
      changed: (r) => this.settle(r as Hosted),
    });
  }

  get metadataImage(): MetadataImage | undefined {
    return this.image;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** The replica of a partition on this broker, if open. */
  replica(topic: string, partition: number): Partition | undefined {
    return this.hosted.get(tpKey(topic, partition))?.replica;
  }

  /** Resolves on the next change to a partition (see `settle`), or after `timeoutMs`. */
  waitForChange(topic: string, partition: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.wakeups.wait([tpKey(topic, partition)], timeoutMs, undefined, signal);
  }

  /** A shell on this broker changed a replica (the group coordinator's appends): settle it. */
  notifyChange(topic: string, partition: number): void {
    const h = this.hosted.get(tpKey(topic, partition));
    if (h !== undefined) this.settle(h);
    else this.wakeups.wake(tpKey(topic, partition));
  }

  // ------------------------------------------------------------------ settling

  /** See the top of this file: the one place where what a partition did is acted on. */
  private settle(h: Hosted, proposal?: AlterIsrProposal): boolean {
    if (proposal !== undefined) void this.alterPartition(h, proposal);
    if (!this.settleAcks(h)) return false;
    this.wakeups.wake(h.key);
    return true;
  }

  /**
   * `settle` for every partition a request touched, in one pass: one sweep wakes the
   * fetches waiting on any of them (one turn of the event loop scheduled, not one per
   * partition).
   */
  private settleAll(hs: readonly Hosted[]): void {
    this.passes.settle++;
    let moved: string[] | undefined;
    for (const h of hs) if (this.settleAcks(h)) (moved ??= []).push(h.key);
    if (moved !== undefined) {
      this.passes.wakeSweeps++;
      this.wakeups.wakeMany(moved);
    }
  }

  /** Hands out a partition's completed acks; whether it moved (so that its fetches should wake). */
  private settleAcks(h: Hosted): boolean {
    const p = h.replica;
    if (dueSoon(p)) this.tickPromptly(h);
    // An indexed loop: a for-of over the (nearly always empty) answer made an iterator a batch.
    const acks = p.drainAcks();
    for (let k = 0; k < acks.length; k++) {
      const c = acks[k]!;
      const w = this.ackWaiters.get(c.token);
      if (w !== undefined) {
        this.ackWaiters.delete(c.token);
        w(c);
      }
    }
    const hw = p.highWatermark;
    const logEnd = p.logEndOffset;
    if (hw !== h.seenHw || logEnd !== h.seenLogEnd || p.logStartOffset !== h.seenLogStart || p.leaderEpoch !== h.seenLeaderEpoch || p.partitionEpoch !== h.seenPartitionEpoch || p.role !== h.seenRole) {
      // In place: a moved partition (every append) made an object here.
      h.seenHw = hw;
      h.seenLogEnd = logEnd;
      h.seenLogStart = p.logStartOffset;
      h.seenLeaderEpoch = p.leaderEpoch;
      h.seenPartitionEpoch = p.partitionEpoch;
      h.seenRole = p.role;
      return true;
    }
    return false;
  }

  /** The completion of an acks=all produce, registered before the append so that `settle` finds it. */
  private ackFor(token: number): Promise<Pick<AckCompletion, 'errorCode' | 'firstOffset'>> {
    return new Promise((resolve) => this.ackWaiters.set(token, resolve));
  }

  // ------------------------------------------------------------------ metadata

  /** Follows a new committed image: roles of the open replicas, topic configs, deleted topics. */
  applyImage(image: MetadataImage): void {
    if (this.stopped) return;
    this.image = image;
    this.applyConfigChanges(image);
    const now = this.o.clock.monotonic();
    const live = new Set<Uuid>();
    image.forEachTopic((topic) => {
      live.add(topic.id);
      if (this.seenTopics.get(topic.id) === topic) return;
      this.seenTopics.set(topic.id, topic);
      for (let p = 0; p < topic.partitions.length; p++) {
        const key = tpKey(topic.name, p); // (once: a topic of 10,000 partitions is walked at each of its changes)
        const h = this.hosted.get(key);
        if (h && h.topicId === topic.id) this.applyPartition(h, topic.partitions[p]!, now);
        else if (!h && topic.partitions[p]!.replicas.includes(this.o.nodeId) && (this.wantOpen.has(key) || this.o.logs.hasFolder(topic.name, p))) {
          // A replica its leader opened before this broker's metadata had the topic, or one
          // with data from before a restart: open it now, so that it catches up and joins
          // (or rejoins) the ISR without waiting for a client to touch it.
          this.wantOpen.delete(key);
          this.found.set(key, [topic.name, p]);
        }
      }
    });
    if (this.found.size > 0 && !this.openingFound) void this.openFound();
    for (const [id, topic] of this.seenTopics) {
      if (live.has(id)) continue;
      this.seenTopics.delete(id);
      for (let p = 0; p < topic.partitions.length; p++) void this.dropReplica(topic.name, p, topic.id, true);
    }
  }

  /** Dynamic topic configs: the open logs of a topic whose configs changed get the new settings. */
  private applyConfigChanges(image: MetadataImage): void {
    // By topic, not by replica: every image (the idle NoOp's, twice a second) came here, and
    // a broker of 10,000 partitions of one topic looked up one topic's configs 10,000 times.
    const topics = Array.from(this.hostedByTopic.keys(), (topic) => ({ topic }));
    for (const [topic, config] of this.topicConfigs.changedTopics(image, topics)) this.o.logs.updateConfig(topic, config);
  }

  private applyPartition(h: Hosted, reg: PartitionRegistration, now: number): void {
    if (!reg.replicas.includes(this.o.nodeId)) {
      void this.dropReplica(h.topic, h.partition, h.topicId, true);
      return;
    }
    const state = { leader: reg.leader, leaderEpoch: reg.leaderEpoch, partitionEpoch: reg.partitionEpoch, replicas: reg.replicas, isr: reg.isr };
    this.o.stats.leadership(h.topic, h.partition, h.replica.role === 'leader' ? h.replica.leaderEpoch : -1, reg.leader === this.o.nodeId ? reg.leaderEpoch : -1);
    if (reg.leader === this.o.nodeId) {
      const r = h.replica;
      const before = r.role === 'leader' ? { epoch: r.leaderEpoch, replicas: r.replicas } : undefined;
      // A new term (or replica set) here: the followers hear of it (LeaderAndIsr), not only
      // on the replica's first open. A follower whose first LeaderAndIsr was lost with the
      // old leader (killed before it could send again) never opened its replica; the new
      // leader, which already had its replica open, told nobody, and once it shrank the
      // ISR to itself every acks=all produce failed NOT_ENOUGH_REPLICAS (node sim seed 806).
      if (r.makeLeader(state, now) && r.role === 'leader' && (before === undefined || before.epoch !== r.leaderEpoch || before.replicas.length !== r.replicas.length || r.replicas.some((x) => !before.replicas.includes(x)))) {
        this.o.onLeaderOpened?.(h.topic, h.partition, r.replicas);
      }
    } else {
      h.replica.makeFollower(state, now);
      if (reg.leader >= 0) this.fetchers.ensure(reg.leader);
    }
    this.settle(h);
  }

  /** Opens this broker's replica of a partition, if the metadata gives it one. */
  async openReplica(topic: string, partition: number): Promise<Hosted | undefined> {
    return this.openReplicaNow(topic, partition);
  }

  /**
   * `openReplica`, synchronously: opening a log is synchronous file work (log-loader.ts),
   * and the six async calls it went through were six promises and turns of the microtask
   * queue for each of 10,000 new partitions' first records.
   */
  private openReplicaNow(topic: string, partition: number): Hosted | undefined {
    return this.hosted.get(tpKey(topic, partition)) ?? this.doOpen(topic, partition);
  }

  /**
   * Opens the replicas `applyImage` found, `opensPerTurn` at a time, the event loop turning
   * between batches (Kafka bounds its log loading by `num.recovery.threads.per.data.dir`).
   * A restarted node with 10,000 partitions opened them all in the one call that applied
   * its first image: a second of file calls in one turn, then tens of thousands of file
   * requests ahead of the metadata log's appends in libuv's queue, so its registration and
   * heartbeats waited behind every open. A request for a partition not opened yet opens
   * it at once (`openReplica`), and its queued turn then finds it open.
   */
  private async openFound(): Promise<void> {
    this.openingFound = true;
    try {
      while (this.found.size > 0 && !this.stopped) {
        const batch: (readonly [string, number])[] = [];
        for (const [key, tp] of this.found) {
          this.found.delete(key);
          if (batch.push(tp) === opensPerTurn) break;
        }
        // Skipped if its topic went meanwhile (doOpen would wait for it to come back).
        const still = batch.filter(([topic, partition]) => this.image?.topic(topic)?.partitions[partition] !== undefined);
        await Promise.all(still.map(([topic, partition]) => this.openReplica(topic, partition).catch(() => undefined)));
        await new Promise<void>((resolve) => nextTurn(this.o.clock, resolve));
      }
    } finally {
      this.openingFound = false;
    }
  }

  private doOpen(topic: string, partition: number): Hosted | undefined {
    const image = this.image;
    const t = image?.topic(topic);
    const reg = t?.partitions[partition];
    if (!image || !t || !reg) {
      // Not in this broker's metadata yet (its leader is ahead of it): open it when it is.
      if (!this.stopped) this.wantOpen.add(tpKey(topic, partition));
      return undefined;
    }
    if (!reg.replicas.includes(this.o.nodeId) || this.stopped || this.o.logs.isOffline(topic, partition)) return undefined;
    try {
      return this.openLog(topic, partition, image, t);
    } catch (err) {
      // A storage fault on one folder takes that replica offline, never the process.
      this.o.logs.markOffline(topic, partition, t.id, err);
      this.o.heartbeat();
      return undefined;
    }
  }

  private openLog(topic: string, partition: number, image: MetadataImage, t: TopicImage): Hosted | undefined {
    // The log manager checks and writes Kafka's partition.metadata (the topic id a folder holds).
    const settings = this.topicConfigs.settingsFor(image, topic);
    const log = this.o.logs.openNow(topic, partition, settings.logConfig, t.id);
    const hw = this.hwCheckpoints.get(topic, partition);
    let replica: Partition;
    try {
      if (this.stopped) throw new TributaryError('NETWORK_EXCEPTION', `broker ${this.o.nodeId} stopped while ${topic}-${partition} opened`);
      replica = new Partition({
        log,
        brokerId: this.o.nodeId,
        ...(hw !== undefined ? { highWatermark: hw } : {}),
        // Under flush always a record counts toward the high watermark only once synced, on
        // the leader and on every follower (docs/design/durability.md).
        config: { minInsyncReplicas: settings.minInsyncReplicas, replicaLagTimeMaxMs: this.o.config.replicaLagTimeMaxMs, hwRequiresFlush: log.config.flushPolicy === 'always' },
        isReplicaEligible: this.isReplicaEligible,
        tailBudget: this.tailBudget,
      });
    } catch (err) {
      this.o.logs.abandon(topic, partition); // a damaged batch read while loading the producer state, a folder turned read-only
      if (this.stopped) return undefined;
      throw err;
    }
    const r = replica;
    const h: Hosted = { topic, key: tpKey(topic, partition), topicId: t.id, partition, replica, seenHw: r.highWatermark, seenLogStart: r.logStartOffset, seenLogEnd: r.logEndOffset, seenLeaderEpoch: r.leaderEpoch, seenPartitionEpoch: r.partitionEpoch, seenRole: r.role };
    this.hosted.set(h.key, h);
    let byPartition = this.hostedByTopic.get(topic);
    if (byPartition === undefined) this.hostedByTopic.set(topic, (byPartition = { replicas: new Array<Hosted | undefined>(t.partitions.length), count: 0 }));
    if (byPartition.replicas[partition] === undefined) byPartition.count++;
    byPartition.replicas[partition] = h;
    // The newest registration: the image may have moved on while the log opened.
    const latest = this.image?.topic(topic);
    if (latest && latest.id === t.id && latest.partitions[partition]) this.applyPartition(h, latest.partitions[partition], this.o.clock.monotonic());
    else void this.dropReplica(topic, partition, t.id, false);
    return h;
  }

  /** Whether a broker may join an ISR: registered and not fenced in the latest image (one function for every replica, not a closure each). */
  private readonly isReplicaEligible = (id: number): boolean => {
    const b = this.image?.broker(id);
    return b !== undefined && !b.fenced;
  };

  private async dropReplica(topic: string, partition: number, topicId: Uuid, deleteFiles: boolean): Promise<void> {
    const key = tpKey(topic, partition);
    const h = this.hosted.get(key);
    if (!h || h.topicId !== topicId) return;
    this.unhost(h);
    this.hwCheckpoints.forget(topic, partition);
    // Its waiting acks=all produces would otherwise wait for a replica nobody ticks.
    h.replica.failAllAcks('NOT_LEADER_OR_FOLLOWER');
    this.settle(h);
    this.wakeups.wake(key);
    this.wakeups.forget(key);
    await this.o.logs.close(topic, partition);
    if (deleteFiles) rmSync(join(this.o.dataDir, `${topic}-${partition}`), { recursive: true, force: true });
  }

  /** The replica for a request that must reach the partition's leader: opened, or why not. */
  async leaderPartition(topic: string, partition: number): Promise<LeaderLookup> {
    const r = await this.leaderReplica(topic, partition);
    return 'errorCode' in r ? r : { replica: r.replica };
  }

  private leaderReplica(topic: string, partition: number): Hosted | { errorCode: ErrorCode } {
    const now = this.leaderNow(topic, partition, this.image?.topic(topic));
    if (now !== 'open') return now;
    const h = this.openReplicaNow(topic, partition);
    if (!h) return { errorCode: 'NOT_LEADER_OR_FOLLOWER' };
    if (h.replica.role !== 'leader') return { errorCode: 'NOT_LEADER_OR_FOLLOWER' };
    return h;
  }

  /** A partition's open leader replica on this broker, why it has none, or 'open' if its replica is to be opened first. */
  private leaderNow(topic: string, partition: number, t: TopicImage | undefined): Hosted | { errorCode: ErrorCode } | 'open' {
    const reg = t?.partitions[partition];
    if (!reg) return { errorCode: 'UNKNOWN_TOPIC_OR_PARTITION' };
    if (reg.leader !== this.o.nodeId) return { errorCode: reg.leader < 0 ? 'LEADER_NOT_AVAILABLE' : 'NOT_LEADER_OR_FOLLOWER' };
    if (this.o.logs.isOffline(topic, partition)) return { errorCode: 'KAFKA_STORAGE_ERROR' };
    const h = this.hostedByTopic.get(topic)?.replicas[partition];
    if (h === undefined) return 'open';
    return h.replica.role === 'leader' ? h : { errorCode: 'NOT_LEADER_OR_FOLLOWER' };
  }

  private unhost(h: Hosted): void {
    this.hosted.delete(h.key);
    const byPartition = this.hostedByTopic.get(h.topic);
    if (byPartition?.replicas[h.partition] !== h) return;
    byPartition.replicas[h.partition] = undefined;
    if (--byPartition.count === 0) this.hostedByTopic.delete(h.topic);
  }

  /** A storage fault on an open replica: it goes offline, its waiting produces fail, the controller hears at once. */
  private storageFailed(h: Hosted, err: unknown): void {
    if (this.hosted.get(tpKey(h.topic, h.partition)) !== h) return;
    this.unhost(h);
    this.o.logs.markOffline(h.topic, h.partition, h.topicId, err);
    h.replica.failAllAcks('KAFKA_STORAGE_ERROR');
    this.settle(h);
    this.wakeups.wake(h.key); // gone: whoever waits on it hears so at once
    this.o.heartbeat();
  }

  /** Syncs what a replica appended (flush always), then lets its high watermark or its fetcher move; false if the sync failed. */
  private flushReplica(h: Hosted): Promise<boolean> {
    return this.o.logs.flush(h.replica).then(
      () => (this.settle(h), true),
      (err: unknown) => (isStorageFault(err) && this.storageFailed(h, err), false),
    );
  }

  // ------------------------------------------------------------------ produce

  /**
   * Appends a produce request's batches as leader of each partition (Kafka's
   * `appendRecords`, which also takes the whole request): answers at once for acks 0 and
   * 1 (under flush always, acks=1 after the sync that covers the append), and for
   * acks=all once the partition core completes the produce (the high watermark passed
   * it, or it failed or timed out). Answers come in `entries` order.
   *
   * **One pass, not one per partition.** A request over 2,000 partitions resolves every
   * leader in one pass over the image (only replicas not open yet wait for their open,
   * together), appends each, settles them all in one pass with one sweep waking the
   * fetches that wait on any of them, and under flush always starts every sync in one
   * pass and settles them together. Before, each partition went its own way through
   * promises: a lookup, a settle and a wake-up scheduled per partition, and a sync and
   * its settle per partition.
   */
  async appendRecords(entries: readonly ProduceEntry[], acks: number, timeoutMs: number, now: number): Promise<P.PartitionProduceResponse[]> {
    this.passes.requests++;
    const fail = (index: number, errorCode: ErrorCode, errorMessage: string | null = null): P.PartitionProduceResponse => ({ index, errorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, errorMessage });
    const out = new Array<P.PartitionProduceResponse>(entries.length);
    const leaders = new Array<Hosted | undefined>(entries.length);
    // 1. Every partition's leader replica, from the image in one pass.
    this.passes.lookup++;
    let toOpen: number[] | undefined;
    let lastName: string | undefined;
    let lastTopic: TopicImage | undefined;
    let convert = false;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (e.topic !== lastName) {
        lastName = e.topic;
        lastTopic = this.image?.topic(e.topic);
        convert ||= lastTopic !== undefined && this.topicConfigs.compressionTarget(this.image!, e.topic) !== undefined;
      }
      convert ||= zstdBatchAhead(e.records);
      const r = this.leaderNow(e.topic, e.index, lastTopic);
      if (r === 'open') (toOpen ??= []).push(i);
      else if ('errorCode' in r) out[i] = fail(e.index, r.errorCode);
      else leaders[i] = r;
    }
    // Replicas not open yet (a partition's first record since it was created or since a
    // restart): opened together, a bounded number per turn of the event loop.
    if (toOpen !== undefined) {
      for (let from = 0; from < toOpen.length; from += opensPerTurn) {
        if (from > 0) await new Promise<void>((resolve) => nextTurn(this.o.clock, resolve));
        const chunk = toOpen.slice(from, from + opensPerTurn);
        const opened = await Promise.all(chunk.map((i) => this.leaderReplica(entries[i]!.topic, entries[i]!.index)));
        for (let k = 0; k < chunk.length; k++) {
          const i = chunk[k]!;
          const r = opened[k]!;
          if ('errorCode' in r) out[i] = fail(entries[i]!.index, r.errorCode);
          else leaders[i] = r;
        }
      }
    }
    // A topic's compression.type other than producer: its batches are rebuilt in its codec
    // first, each partition's appends kept in arrival order (recompression.ts).
    const converted = convert || this.gates.holding ? await convertForAppend(this.gates, entries, leaders, (t) => this.topicConfigs.compressionTarget(this.image!, t), (t, type) => this.topicConfigs.compressionLevel(this.image!, t, type)) : undefined;
    // 2. One pass over the partitions: each one's append, what it did (acks handed out, a
    // fetch to wake, storage's verdict) and, when nothing is to wait for, its answer, all
    // while its objects are in the cache. Why not a pass per step, as before: a keyed
    // request reaches 7,000 partitions with a record each, and every further pass over
    // them missed the cache again on each partition's replica, log and segment (3 such
    // passes cost more than the appends' own work). Still one settle pass and at most one
    // sweep of wake-ups per request.
    // What each entry's append did, by entry (arrays over the request, not an object a
    // partition).
    type Outcome = ReturnType<Partition['appendAsLeader']>;
    const outcomes = new Array<Outcome | undefined>(entries.length);
    let acked: Map<number, Promise<Pick<AckCompletion, 'errorCode' | 'firstOffset'>>> | undefined;
    let flushAt: number[] | undefined;
    const toFlush: Hosted[] = [];
    this.passes.settle++;
    let moved: string[] | undefined;
    // One options object for the request (the partition reads it during the call, keeps nothing of it).
    const produceOptions = { acks, timeoutMs, token: 0, nowMs: this.o.clock.now() };
    // Over many partitions the small appends are written by a second thread, all of them
    // in one message, and the request is answered once they landed (write-behind.ts);
    // a request over a few partitions writes on this thread (no round trip to wait for).
    const behind = entries.length >= writeBehindEntriesMin;
    let landed: Promise<WriteBehindResult> | undefined;
    if (behind) writeBehind.begin();
    try {
      for (let i = 0; i < entries.length; i++) {
        const h = leaders[i];
        if (h === undefined) continue;
        writeBehind.owner = i;
        const e = entries[i]!;
        // A replica that stopped leading (or went) while others opened (only then did the
        // loop turn between the lookup and here).
        if (((toOpen !== undefined || converted !== undefined) && this.hosted.get(tpKey(e.topic, e.index)) !== h) || h.replica.role !== 'leader') {
          out[i] = fail(e.index, 'NOT_LEADER_OR_FOLLOWER');
          continue;
        }
        if (e.records === null || e.records.length === 0) {
          out[i] = fail(e.index, 'INVALID_REQUEST', 'no records');
          continue;
        }
        const refused = converted?.refused[i];
        if (refused !== undefined) {
          out[i] = fail(e.index, refused.errorCode, refused.message);
          continue;
        }
        const token = (produceOptions.token = this.nextToken++);
        let outcome: Outcome;
        try {
          outcome = h.replica.appendAsLeader(converted === undefined ? e.records : converted.records[i]!, produceOptions, now);
        } catch (err) {
          if (!isStorageFault(err)) throw err;
          outcome = { errorCode: 'KAFKA_STORAGE_ERROR', message: asStorageFault(err, e.topic, e.index).message };
        }
        outcomes[i] = outcome;
        const pending = 'pending' in outcome && outcome.pending;
        if (pending) (acked ??= new Map()).set(i, this.ackFor(token));
        // Every key that moved, waited on or not: a fetch reading its partitions counts on the key's version (wakeups.ts).
        if (this.settleAcks(h)) (moved ??= []).push(h.key);
        // What storage made of the append.
        const seen = this.o.logs.afterLeaderAppend(e.topic, e.index, outcome.errorCode, 'message' in outcome ? outcome.message : undefined);
        if (seen.offline) this.storageFailed(h, new TributaryError('KAFKA_STORAGE_ERROR', seen.message ?? 'a write failed'));
        if (outcome.errorCode !== 'NONE' || !('firstOffset' in outcome)) {
          out[i] = fail(e.index, outcome.errorCode, seen.message ?? null);
          if ('recordErrors' in outcome && outcome.recordErrors !== undefined) out[i] = { ...out[i]!, recordErrors: outcome.recordErrors };
          continue;
        }
        // Flush always: acks=1 answers after the sync that covers the append; acks=all
        // after the high watermark passes it, which needs every ISR member's sync. Under
        // every other policy an acks=1 answer is ready now.
        if (h.replica.config.hwRequiresFlush && !outcome.duplicate) (flushAt ??= new Array<number>(entries.length).fill(-1))[i] = toFlush.push(h) - 1;
        else if (!pending) {
          if (!outcome.duplicate) this.o.stats.produced(e.topic, e.index, outcome.firstOffset, outcome.lastOffset, e.records.length);
          out[i] = { index: e.index, errorCode: 'NONE', baseOffset: outcome.firstOffset, logAppendTimeMs: outcome.logAppendTime >= 0 ? outcome.logAppendTime : -1, logStartOffset: h.replica.logStartOffset };
        }
      }
    } finally {
      if (converted !== undefined) {
        converted.hold.release();
        for (const e of entries) forgetAhead(e.records);
      }
      if (behind) landed = writeBehind.endAll();
      if (moved !== undefined) {
        this.passes.wakeSweeps++;
        this.wakeups.wakeMany(moved);
      }
    }
    // A write the worker could not make: that replica goes offline (its log's end is past
    // what its file holds; the reopen's recovery cuts it) and its entry fails.
    if (landed !== undefined) {
      for (const f of (await landed).failed) {
        const h = leaders[f.owner]!;
        this.storageFailed(h, new TributaryError('KAFKA_STORAGE_ERROR', `writing to ${h.topic}-${h.partition} failed: ${f.message}`));
        out[f.owner] = fail(entries[f.owner]!.index, 'KAFKA_STORAGE_ERROR', f.message);
      }
    }
    const synced = toFlush.length > 0 ? this.flushReplicas(toFlush) : undefined;
    const syncedOk = synced !== undefined && acks === 1 ? await synced : undefined;
    // 3. The answers that waited: for their sync (flush always) or for acks=all.
    const waits: Promise<void>[] = [];
    for (let i = 0; i < entries.length; i++) {
      if (outcomes[i] === undefined || out[i] !== undefined) continue;
      const e = entries[i]!;
      const outcome = outcomes[i] as Extract<Outcome, { firstOffset: number }>;
      const at = flushAt === undefined ? -1 : flushAt[i]!;
      if (syncedOk !== undefined && at >= 0 && !syncedOk[at]) {
        out[i] = fail(e.index, 'KAFKA_STORAGE_ERROR', 'the sync of the append failed');
        continue;
      }
      if (!outcome.duplicate) this.o.stats.produced(e.topic, e.index, outcome.firstOffset, outcome.lastOffset, e.records!.length);
      const done: P.PartitionProduceResponse = { index: e.index, errorCode: 'NONE', baseOffset: outcome.firstOffset, logAppendTimeMs: outcome.logAppendTime >= 0 ? outcome.logAppendTime : -1, logStartOffset: leaders[i]!.replica.logStartOffset };
      const ack = acked?.get(i);
      if (ack === undefined) {
        out[i] = done;
        continue;
      }
      waits.push(ack.then((a) => void (out[i] = a.errorCode !== 'NONE' ? fail(e.index, a.errorCode) : { ...done, baseOffset: a.firstOffset })));
    }
    if (waits.length > 0) await Promise.all(waits);
    return out;
  }

  /**
   * Syncs what several replicas appended (flush always): every sync started in one pass,
   * then one settle pass over those that completed (their high watermarks may move);
   * a replica whose sync failed goes offline. Whether each sync succeeded, in order.
   */
  private async flushReplicas(hs: readonly Hosted[]): Promise<boolean[]> {
    this.passes.flush++;
    const results = await this.o.logs.flushAll(hs.map((h) => h.replica));
    const ok: boolean[] = [];
    const flushed: Hosted[] = [];
    for (let k = 0; k < hs.length; k++) {
      const r = results[k]!;
      ok.push(r.status === 'fulfilled');
      if (r.status === 'fulfilled') flushed.push(hs[k]!);
      else if (isStorageFault(r.reason)) this.storageFailed(hs[k]!, r.reason);
    }
    this.settleAll(flushed);
    return ok;
  }

  // ------------------------------------------------------------------ fetch

  /** Serves a Fetch (consumers and followers), waiting up to `maxWaitMs` for `minBytes` (Kafka's delayed fetch). */
  async fetchMessages(req: P.FetchRequest): Promise<P.FetchResponse> {
    const start = this.o.clock.monotonic();
    const keys = req.topics.flatMap((t) => t.partitions.map((p) => tpKey(t.topic, p.partition)));
    for (;;) {
      // Read before the partitions are: an append while they are read must not be missed (wakeups.ts).
      const seen = this.wakeups.version(keys);
      const { response, bytes, full, errors, woke } = this.readFromLocalLog(req);
      const waited = this.o.clock.monotonic() - start;
      // Kafka's `fetchMinBytes`: min_bytes capped at what one answer may hold (min(max_bytes,
      // fetch.max.bytes)); an answer the limit cut short (more was readable) is as full as it gets.
      const minBytes = Math.min(req.minBytes, req.maxBytes, this.o.config.fetchMaxBytes ?? fetchMaxBytesDefault);
      if (bytes >= Math.max(1, minBytes) || full || errors || waited >= req.maxWaitMs || this.stopped) return response;
      // The wake-ups this fetch caused itself (a follower's fetch moving the high watermark) are no news to it.
      await this.wakeups.wait(keys, req.maxWaitMs - waited, seen + woke);
    }
  }

  /** Synchronous: an await a partition (the lookup is synchronous) was a resumption where V8 deoptimized the read. */
  private readFromLocalLog(req: P.FetchRequest): { response: P.FetchResponse; bytes: number; full: boolean; errors: boolean; woke: number } {
    const now = this.o.clock.monotonic();
    const isFollower = req.replicaId >= 0;
    let bytes = 0;
    let full = false;
    let errors = false;
    let woke = 0;
    // Kafka's `readFromLocalLog`: the response limit is min(max_bytes, fetch.max.bytes), and
    // the first partition with data gets its first batch whole past any limit (KIP-74),
    // no partition after it anything past the limit. A limit below 0 stays below 0 (Kafka
    // answers each partition with data to read UNKNOWN_SERVER_ERROR: partition.ts).
    let budget = Math.min(req.maxBytes, this.o.config.fetchMaxBytes ?? fetchMaxBytesDefault);
    let minOneMessage = true;
    const responses: P.FetchTopicResponse[] = [];
    for (const t of req.topics) {
      const partitions: P.FetchPartitionResponse[] = [];
      for (const fp of t.partitions) {
        // Empty records, not null: Kafka's erroneous partitions (`FetchResponse.partitionResponse`,
        // records null) pass `KafkaApis.maybeConvertFetchedData` like the rest, whose
        // `recordsOrFail` gives MemoryRecords.EMPTY; only its own UNSUPPORTED_COMPRESSION_TYPE
        // answer stays null (kafka-apis.ts).
        const fail = (errorCode: ErrorCode): P.FetchPartitionResponse => ({ partitionIndex: fp.partition, errorCode, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, abortedTransactions: null, preferredReadReplica: -1, records: noRecords });
        const h = this.leaderReplica(t.topic, fp.partition);
        if ('errorCode' in h) {
          errors = true;
          partitions.push(fail(h.errorCode));
          continue;
        }
        let out: ReturnType<Partition['fetchAsLeader']>;
        try {
          out = h.replica.fetchAsLeader(
            { replicaId: req.replicaId, fetchOffset: fp.fetchOffset, lastFetchedEpoch: isFollower ? (fp.lastFetchedEpoch ?? -1) : -1, currentLeaderEpoch: fp.currentLeaderEpoch ?? -1, maxBytes: Math.min(fp.partitionMaxBytes, budget), minOneMessage },
            now,
          );
        } catch (err) {
          if (!isStorageFault(err)) throw err;
          this.storageFailed(h, err); // a damaged batch, an unreadable file
          errors = true;
          partitions.push(fail('KAFKA_STORAGE_ERROR'));
          continue;
        }
        // A follower's fetch may move the high watermark (completing acks) and propose an ISR expansion.
        if (this.settle(h, out.proposal)) woke++;
        const res = out.response;
        this.o.stats.fetched(req.replicaId, t.topic, fp.partition, fp.fetchOffset, res.records, res.highWatermark);
        if (res.errorCode !== 'NONE') errors = true;
        if (res.divergingEpoch) errors = true; // answer at once: the follower must truncate
        bytes += res.records.length;
        // Cut short by the answer's limit (not the partition's): readable data left behind.
        if (!full && res.errorCode === 'NONE' && budget < fp.partitionMaxBytes && offsetAfterRecords(res.records, fp.fetchOffset) < (isFollower ? res.logEndOffset : res.highWatermark)) full = true;
        if (res.records.length > 0) {
          minOneMessage = false;
          budget = Math.max(0, budget - res.records.length);
        }
        // Kafka's `createLogReadResult(e)`: a partition answered with an error carries no
        // offsets (-1 for the high watermark, last stable offset and log start), whatever the
        // error (ReplicaManager.readFromLog, handleOffsetOutOfRangeError without tiered
        // storage). One departure: a follower's OFFSET_OUT_OF_RANGE keeps the leader's log
        // start, which Tributary's follower restarts at (Kafka's asks ListOffsets instead).
        const offsetsKnown = res.errorCode === 'NONE' || (isFollower && res.errorCode === 'OFFSET_OUT_OF_RANGE');
        partitions.push({
          partitionIndex: fp.partition,
          errorCode: res.errorCode,
          highWatermark: offsetsKnown ? res.highWatermark : -1,
          lastStableOffset: offsetsKnown ? res.highWatermark : -1,
          logStartOffset: offsetsKnown ? res.logStartOffset : -1,
          ...(res.divergingEpoch ? { divergingEpoch: res.divergingEpoch } : {}),
          abortedTransactions: noAborted,
          preferredReadReplica: -1,
          records: res.records,
        });
      }
      responses.push({ topic: t.topic, partitions });
    }
    return { response: { apiKey: ApiKey.Fetch, errorCode: 'NONE', sessionId: 0, responses, throttleTimeMs: 0 }, bytes, full, errors, woke };
  }

  // ------------------------------------------------------------------ ISR changes

  /** Sends an ISR change to the controller (Kafka's `AlterPartitionManager`) and hands the answer to the replica. */
  private async alterPartition(h: Hosted, proposal: AlterIsrProposal): Promise<void> {
    try {
      const r = await this.o.controller.submit({
        type: 'AlterPartition',
        brokerId: this.o.nodeId,
        brokerEpoch: this.o.brokerEpoch(),
        topics: [{ topicId: h.topicId, partitions: [{ partitionIndex: h.partition, leaderEpoch: proposal.leaderEpoch, newIsr: proposal.newIsr, partitionEpoch: proposal.partitionEpoch }] }],
      });
      const pr = r.topics[0]?.partitions[0];
      if (this.hosted.get(tpKey(h.topic, h.partition)) !== h) return;
      h.replica.alterPartitionResponse(
        pr ? { errorCode: pr.errorCode, leaderEpoch: pr.leaderEpoch, partitionEpoch: pr.partitionEpoch, isr: pr.isr } : { errorCode: r.errorCode, leaderEpoch: -1, partitionEpoch: -1, isr: [] },
      );
      this.settle(h);
    } catch {
      // The controller moved or is unreachable: the partition retries the proposal on its own.
    }
  }

  // ------------------------------------------------------------------ housekeeping

  /**
   * Puts a replica with work due soon on the prompt timer's list, arming the timer (every
   * `promptTickMs` while the list is not empty): the replicas of an idle broker cost no
   * timer at all.
   */
  private tickPromptly(h: Hosted): void {
    this.prompt.add(h);
    this.armPrompt();
  }

  private armPrompt(): void {
    if (this.promptTimer !== undefined || this.stopped || this.prompt.size === 0) return;
    this.promptTimer = startTimer(this.o.clock, promptTickMs, () => {
      this.promptTimer = undefined;
      if (this.stopped) return;
      const now = this.o.clock.monotonic();
      // Deleting the entry being visited is safe in a Set's iteration.
      for (const x of this.prompt) {
        if (this.hosted.get(x.key) !== x || !dueSoon(x.replica)) this.prompt.delete(x);
        else this.tickReplica(x, now);
      }
      this.armPrompt();
    }, true);
  }

  private tickReplica(h: Hosted, now: number): void {
    if (h.replica.needsTick) {
      const out = h.replica.tick(now);
      this.settle(h, out.proposal);
    }
    // Flush always, for appends no produce flushed (the group coordinator's writes).
    if (unflushed(h.replica)) void this.flushReplica(h);
  }

  /**
   * Kafka's `isr-expiration`, every `replica.lag.time.max.ms / 2`: time passes for every
   * replica with something to check (ISR shrinks of leaders with followers; acks=all
   * timeouts and proposals to retry are the prompt timer's, too).
   */
  tick(): void {
    if (this.stopped) return;
    const now = this.o.clock.monotonic();
    // Only replicas with something to time out or to check (10,000 single-replica
    // leaders were 10,000 ticks and settles every 100 ms for nothing).
    for (const h of this.hosted.values()) this.tickReplica(h, now);
  }

  /** Kafka's `checkpointHighWatermarks`: every replica's high watermark into `replication-offset-checkpoint`. */
  checkpointHighWatermarks(): void {
    if (!this.stopped) this.hwCheckpoints.write(this.hosted.values());
  }

  /**
   * The periodic checkpoint, written off the thread (its fsyncs blocked every request for
   * 10-30 ms on a loaded machine); skipped while the last one is still being written.
   * On a clock of the caller's (a simulated one: a test or a seeded simulation) it is
   * written at once, as before: a write that completes whenever the machine gets to it
   * would make what happens next (a shutdown waiting for it while simulated time runs on,
   * what a restart reads) depend on the machine's load, not on the seed.
   */
  checkpointHighWatermarksInBackground(): void {
    if (this.o.clock !== systemClock) return this.checkpointHighWatermarks();
    if (!this.stopped) this.hwCheckpoints.writeInBackground(this.hosted.values());
  }

  /** Retention and compaction of every hosted replica's log, each up to its high watermark. */
  cleanupLogs(): Promise<void> {
    return this.o.logs.cleanupLogs([...this.hosted.values()].map((h) => h.replica), this.o.clock.now());
  }

  // ------------------------------------------------------------------ shutdown

  /** A clean shutdown (after the controlled shutdown): checkpoints, stops, closes every log. */
  async shutdown(): Promise<void> {
    await this.hwCheckpoints.drain(); // the last write first: it must not rename over this one
    this.checkpointHighWatermarks();
    this.stop();
    this.hosted.clear();
    this.hostedByTopic.clear();
    await this.o.logs.closeAll();
  }

  /** Stops at once (failure tests): no checkpoint, the logs dropped as a crash leaves them. */
  kill(): void {
    this.stop();
    this.hosted.clear();
    this.hostedByTopic.clear();
    this.o.logs.abandonAll();
  }

  private stop(): void {
    this.stopped = true;
    stopTimer(this.o.clock, this.promptTimer);
    this.prompt.clear();
    this.wakeups.wakeAll();
    for (const w of this.ackWaiters.values()) w({ errorCode: 'NOT_LEADER_OR_FOLLOWER', firstOffset: -1 });
    this.ackWaiters.clear();
  }
}
