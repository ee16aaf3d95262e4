import { batchHeaderBytes } from '../record/batch.js';
import { assert } from '../util/assert.js';
import { type Clock, systemClock } from '../util/clock.js';
import { TributaryError } from '../util/errors.js';
import { checkConfigChanges, checkLogOptions, checkReadOptions, checkTimes, configWithDefaults, partitionDir } from './log-options.js';
import { compactLog, truncateCleanerCheckpoint, type CompactionFaults } from './compaction.js';
import { planRetention, rollReason } from './core/segment-plan.js';
import { LeaderEpochFileCache } from './leader-epoch-file-cache.js';
import { LocalLog, readBytesDefault, readBytesMax } from './local-log.js';
import { FolderCheckpoints, type LogCheckpoints } from './log-checkpoints.js';
import { LogFlusher, type FlusherHost } from './log-flusher.js';
import { loadLog, smallActiveSegmentBytes, type LoaderHost } from './log-loader.js';
import { assignOffsets, releaseParts, scratchBatchesMax, validateBatches, type ValidatedBatches } from './log-validator.js';
import {
  type AppendOptions,
  type EpochEntry,
  type Log,
  type LogAppendInfo,
  type LogConfig,
  type LogReadResult,
  type ReadOptions,
  type RecoveryReport,
} from './log.js';
import type { ProducerSnapshots } from './producer-snapshots.js';
import type { Segment } from './segment.js';
import { appendFilled, FileStore, type Store } from './store.js';
import type { LogStats, PartitionLogOptions } from './partition-log-options.js';
import { asStorageError, validateConfig } from './log-checks.js';

export { validateConfig } from './log-checks.js';

export type { LogStats, PartitionLogOptions } from './partition-log-options.js';

assert(scratchBatchesMax * batchHeaderBytes <= readBytesMax, 'the header scratch buffer stays small');

/**
 * A partition's log: an ordered sequence of record batches in segment files, with
 * Kafka's layout, indexes, recovery, retention and compaction. See `Log` for the
 * contract; this class implements it over files (`PartitionLog.open`) or over memory
 * (`MemoryLog`), with the same code.
 *
 * @example
 * ```ts
 * import { PartitionLog, encodeBatch } from 'tributary-log';
 *
 * const log = await PartitionLog.open({ dataDir: '/tmp/tributary-example', topic: 'orders', partition: 0 });
 * const info = await log.append(await encodeBatch([{ key: Buffer.from('k'), value: Buffer.from('hello') }]));
 * const { records } = log.read(info.firstOffset);
 * console.log(records.length > 0);
 * await log.close();
 * ```
 */
export class PartitionLog implements Log {
  /** The log's configuration, defaults filled in; `updateConfig` replaces it when the topic's configs change. */
  config: LogConfig;
  /** Counters for benchmarks and monitoring. */
  readonly stats: LogStats = { syncs: 0, batches: 0, rolls: 0 };
  /** What recovery did when the log was opened. */
  recovery: RecoveryReport;
  /**
   * The replica's leader epoch history and its checkpoint file: the one copy, which a
   * broker's `Partition` reads and assigns through too. @internal
   */
  readonly leaderEpochCache: LeaderEpochFileCache;

  /** The segments: append, read, roll, truncate (Kafka's `LocalLog`). @internal */
  protected readonly local: LocalLog;
  /** Group commit, rolled-segment flushes and the recovery point: the only part with timers. @internal */
  protected readonly flusher: LogFlusher;
  /** @internal */
  protected readonly checkpoints: LogCheckpoints;
  private _logStartOffset = 0;
  private closing = false;
  private closed = false;
  private closeDone: Promise<void> | undefined;
  /** Whether the clean-shutdown marker is on disk (removed before the first change). */
  private cleanMarker = false;
  /** Whether anything changed since open (a log opened clean and left alone closes without a sync). */
  private changed = false;
  /** Set when a write to the files failed in a way that leaves them disagreeing with memory: the log is offline until reopened. */
  private storageError: TributaryError | undefined;
  /** Bumped whenever the tail of the log is cut, so that a flush begun before it does not vouch for what came after. */
  private generation = 0;
  private compaction: Promise<boolean> | undefined;
  private readonly clock: Clock;
  private readonly faults: CompactionFaults | undefined;
  private readonly internals: FlusherHost & LoaderHost;

  /** @internal Use `PartitionLog.open` or `new MemoryLog(...)`. */
  protected constructor(
    /** The topic this log stores. */
    readonly topic: string,
    /** The partition this log stores. */
    readonly partition: number,
    private readonly store: Store,
    config: Partial<LogConfig> | undefined,
    clock: Clock | undefined,
    faults: CompactionFaults | undefined,
    checkpoints?: LogCheckpoints,
  ) {
    this.config = configWithDefaults(config);
    this.clock = clock ?? systemClock;
    this.faults = faults;
    this.recovery = { clean: true, segmentsScanned: 0, batchesScanned: 0, bytesScanned: 0, bytesTruncated: 0, indexesRebuilt: 0, segmentsDeleted: 0, leftovers: [], durationMs: 0 };
    this.checkpoints = checkpoints ?? new FolderCheckpoints(store);
    this.local = new LocalLog(store, topic, partition, this.clock, () => this.config);
    // A broker's log (its checkpoints kept per data folder) writes its epoch file at flushes only.
    this.leaderEpochCache = new LeaderEpochFileCache(store, [], undefined, checkpoints !== undefined);
    this.internals = new PartitionLog.Internals(this);
    this.flusher = new LogFlusher(this.internals);
  }

  /**
   * The log as its flusher and its loader see it: one small object over the log, its
   * methods shared by every log. Two object literals of closures cost each open log 8
   * closures kept and 4 made for the load (a new partition's log: 1.2 KB of garbage and
   * 600 bytes kept; 2026-12-07g). Inside the class, so it reaches the log's private state.
   */
  private static readonly Internals = class implements FlusherHost, LoaderHost {
    constructor(private readonly log: PartitionLog) {}
    get store(): Store {
      return this.log.store;
    }
    get clock(): Clock {
      return this.log.clock;
    }
    get config(): LogConfig {
      return this.log.config;
    }
    get checkpoints(): LogCheckpoints {
      return this.log.checkpoints;
    }
    get stats(): LogStats {
      return this.log.stats;
    }
    get local(): LocalLog {
      return this.log.local;
    }
    get flusher(): LogFlusher {
      return this.log.flusher;
    }
    get leaderEpochCache(): LeaderEpochFileCache {
      return this.log.leaderEpochCache;
    }
    get cleanMarker(): boolean {
      return this.log.cleanMarker;
    }
    set cleanMarker(v: boolean) {
      this.log.cleanMarker = v;
    }
    activeSegment(): Segment {
      return this.log.local.active;
    }
    syncEpochFile(recoveryPointMoves: boolean): Promise<void> {
      return this.log.leaderEpochCache.syncIfNeeded(recoveryPointMoves);
    }
    logEndOffset(): number {
      return this.log.logEndOffset;
    }
    generation(): number {
      return this.log.generation;
    }
    isClosed(): boolean {
      return this.log.closed;
    }
    storageError(): TributaryError | undefined {
      return this.log.storageError;
    }
    failStorage(err: unknown): TributaryError {
      return this.log.failStorage(err);
    }
    closedError(): TributaryError {
      return new TributaryError('CLIENT_CLOSED', 'the log was closed before its data was synced', this.log.context());
    }
    beforeChange(): void {
      this.log.beforeChange();
    }
    resetTo(offset: number): void {
      this.log.resetTo(offset);
    }
  };

  /**
   * Opens (creating if needed) the log of `topic`-`partition` under `dataDir`, recovering
   * whatever a crash left. The topic name, partition and config are validated before any
   * path is built. Fails with `LOG_DIR_LOCKED` if the log is open elsewhere. Never fails
   * because of damaged data: recovery keeps the longest valid prefix and reports the rest
   * in `recovery`.
   */
  static async open(options: PartitionLogOptions): Promise<PartitionLog> {
    return PartitionLog.openNow(options);
  }

  /** `open`, synchronously (a broker opens 10,000 logs at once: see `LogManager.openNow`). @internal */
  static openNow(options: PartitionLogOptions): PartitionLog {
    checkLogOptions(options, 'a PartitionLog');
    configWithDefaults(options.config);
    const context = { topic: options.topic, partition: options.partition };
    const dir = partitionDir(options.dataDir, options.topic, options.partition);
    let store: Store;
    try {
      store = options.openStore?.(dir) ?? new FileStore(dir);
    } catch (err) {
      throw asStorageError(err, `cannot open ${dir}`, context);
    }
    try {
      const log = new PartitionLog(options.topic, options.partition, store, options.config, options.clock, options.faults, options.checkpoints?.(store));
      log.load();
      return log;
    } catch (err) {
      store.release();
      throw asStorageError(err, `cannot load ${dir}`, context);
    }
  }

  get logStartOffset(): number {
    return this._logStartOffset;
  }
  get logEndOffset(): number {
    return this.local.active.nextOffset;
  }
  get flushedOffset(): number {
    return this.flusher.flushedOffset;
  }
  get sizeInBytes(): number {
    return this.local.sizeInBytes;
  }
  /** Number of segments (for tests and monitoring). */
  get segmentCount(): number {
    return this.local.segments.length;
  }
  /** The producer-state snapshots; the broker's `Partition` gives them their content. @internal */
  get producerSnapshots(): ProducerSnapshots {
    return this.local.producerSnapshots;
  }
  /** The segments, oldest first (tests look at their sizes). @internal */
  protected get segments(): readonly Segment[] {
    return this.local.segments;
  }

  // ---------------------------------------------------------------- loading and recovery

  /** Loads the segments and recovers what a crash left (`log-loader.ts`). @internal */
  protected load(): void {
    const loaded = loadLog(this.internals);
    this._logStartOffset = loaded.logStartOffset;
    this.recovery = loaded.recovery;
    if (this.config.flushPolicy === 'interval') this.flusher.startInterval(this.config.flushIntervalMs);
  }

  /** Removes the clean-shutdown marker before the first change to the log's files after open. */
  private beforeChange(): void {
    this.changed = true;
    if (!this.cleanMarker) return;
    this.checkpoints.removeCleanMarker();
    this.cleanMarker = false;
  }

  // ------------------------------------------------------------------------- writing

  /**
   * Applies changed topic configs to the open log (Kafka's dynamic topic config): retention,
   * cleanup policy, segment sizes and the other limits take effect from the next append,
   * roll or retention pass. The flush policy and its interval keep the values the log was
   * opened with (they own a timer); they take effect at the next open. Throws
   * `INVALID_CONFIG` for a bad value, leaving the config as it was.
   */
  updateConfig(changes: Partial<LogConfig>): void {
    checkConfigChanges(this.config, changes);
    const { flushPolicy: _p, flushIntervalMs: _i, ...rest } = changes;
    this.config = validateConfig({ ...this.config, ...rest });
  }

  write(batches: Uint8Array, options: AppendOptions = {}): LogAppendInfo {
    this.assertUsable();
    // Check every batch before writing any.
    const checked = validateBatches(batches, {
      assignOffsets: options.assignOffsets ?? true,
      nextOffset: this.logEndOffset,
      maxMessageBytes: this.config.maxMessageBytes,
      // A follower takes what its leader accepted (Kafka validates only on the leader).
      keysRequired: this.config.cleanupPolicy !== 'delete',
      verifyCrc: options.crcVerified !== true,
    });
    if (!checked.ok) throw new TributaryError(checked.errorCode, checked.message, this.context());
    return this.appendValidated(checked.value, options);
  }

  /**
   * `write` of batches the caller has already checked with `validateBatches` (the
   * partition, where the bytes entered): the log trusts the check and only stamps and
   * writes them, so a batch is parsed and checksummed once on its way in. `options` must
   * agree with the rules they were checked under (asserted), and nothing may have been
   * written to this log since the check.
   * @internal
   */
  appendValidated(validated: ValidatedBatches, options: AppendOptions = {}): LogAppendInfo {
    this.assertUsable();
    const input = validated.bytes;
    const assign = options.assignOffsets ?? true;
    const now = options.now ?? this.clock.now();
    const c = this.config;
    const epoch = options.leaderEpoch;
    if (epoch !== undefined && !(Number.isInteger(epoch) && epoch >= 0 && epoch <= 0x7fffffff)) {
      throw new TributaryError('INVALID_REQUEST', `leaderEpoch must be an integer in [0, 2^31), got ${String(epoch)}`, this.context());
    }
    assert(validated.rules.assignOffsets === assign, 'batches are appended as they were checked (leader or follower)');
    assert(assign || validated.rules.nextOffset === this.logEndOffset, 'a follower’s batches were checked against this log end');
    const batchCount = validated.batches.length;
    const recordCount = validated.recordCount;
    assert(batchCount <= input.length / batchHeaderBytes, 'every batch is at least a header');

    // The headers stamped in a scratch buffer, written with the caller's untouched record
    // bytes in one pwritev (log-validator.ts says why). Offsets, epochs, sizes and
    // timestamps come from the validated headers, not from the bytes again.
    const batches = validated.batches;
    const firstOffset = this.logEndOffset;
    const logAppendTime = c.messageTimestampType === 'LogAppendTime' && assign ? now : -1;
    const { parts, whole, wholeBytes, fill, lastOffset, maxTimestamp: maxTimestampIn } = assignOffsets(validated, assign, firstOffset, epoch, logAppendTime);

    this.beforeChange();
    const reason = rollReason(this.local.active.facts(), { bytes: input.length, batchCount, lastOffset, maxTimestamp: maxTimestampIn, now }, c);
    if (reason !== undefined) this.roll(firstOffset);
    // Each batch's epoch is assigned (Kafka's maybeAssignEpochStartOffset) before the
    // batches are written, and the epoch file follows (leader-epoch-file-cache.ts), so a
    // crash can leave an entry past the log end (cut on load) but never a durable batch
    // whose epoch the file lacks.
    const epochs = this.leaderEpochCache;
    for (let i = 0, base = firstOffset; i < batchCount; i++) {
      const b = batches[i]!.header;
      if (!assign) base = b.baseOffset;
      const batchEpoch = assign && epoch !== undefined ? epoch : b.partitionLeaderEpoch;
      if (batchEpoch >= 0) epochs.assign(batchEpoch, base);
      base += b.lastOffsetDelta + 1;
    }
    epochs.flushBeforeWrite();
    const seg = this.local.active;
    let position = seg.size;
    try {
      if (wholeBytes > 0) appendFilled(seg.file, whole, wholeBytes, fill);
      else seg.file.appendv(parts);
    } catch (err) {
      epochs.truncateFromEnd(this.logEndOffset);
      throw new TributaryError('KAFKA_STORAGE_ERROR', `writing to segment ${seg.baseOffset} failed: ${String(err)}`, { ...this.context(), cause: err });
    } finally {
      releaseParts();
    }
    for (let i = 0, base = firstOffset; i < batchCount; i++) {
      const { size, header: b } = batches[i]!;
      if (!assign) base = b.baseOffset;
      seg.noteBatch(position, base, base + b.lastOffsetDelta, logAppendTime >= 0 ? logAppendTime : b.maxTimestamp, size, c.indexIntervalBytes);
      base += b.lastOffsetDelta + 1;
      position += size;
    }
    this.stats.batches += batchCount;
    return { firstOffset, lastOffset, logAppendTime, logStartOffset: this._logStartOffset, recordCount, batchCount };
  }

  async append(batches: Uint8Array, options?: AppendOptions): Promise<LogAppendInfo> {
    const info = this.write(batches, options);
    if (this.config.flushPolicy === 'always') await this.sync();
    return info;
  }

  /** Starts a new active segment at `baseOffset`; the flusher makes the old one durable off the write path (log-flusher.ts). */
  private roll(baseOffset: number): void {
    const old = this.local.roll(baseOffset);
    this.stats.rolls++;
    this.flusher.onRoll(old, baseOffset);
  }

  /**
   * fdatasync of everything written so far, shared by every caller that arrives while one
   * runs (group commit, log-flusher.ts).
   */
  sync(): Promise<void> {
    try {
      this.assertUsable();
    } catch (err) {
      return Promise.reject(err);
    }
    return this.flusher.sync();
  }

  // ------------------------------------------------------------------------- reading

  read(offset: number, options: ReadOptions = {}): LogReadResult {
    this.assertUsable();
    const into = checkReadOptions(options).into;
    const maxBytes = Math.min(options.maxBytes ?? into?.length ?? readBytesDefault, into?.length ?? readBytesMax, readBytesMax);
    const maxOffset = Math.min(options.maxOffset ?? this.logEndOffset, this.logEndOffset);
    if (!Number.isSafeInteger(offset) || offset < this._logStartOffset || offset > this.logEndOffset) {
      throw new TributaryError('OFFSET_OUT_OF_RANGE', `offset ${offset} is outside the log [${this._logStartOffset}, ${this.logEndOffset}]`, this.context());
    }
    if (!(maxBytes > 0)) throw new TributaryError('INVALID_FETCH_SIZE', `maxBytes must be positive, got ${options.maxBytes}`, this.context());
    if (offset >= maxOffset) return { records: Buffer.alloc(0), logStartOffset: this._logStartOffset, logEndOffset: this.logEndOffset };
    const records = this.local.read(offset, maxBytes, maxOffset, into);
    return { records, logStartOffset: this._logStartOffset, logEndOffset: this.logEndOffset };
  }

  /** CRC-checks up to about `budgetBytes` of what recovery trusted unchecked; whether any remains (`LocalLog.verifyUnchecked`). @internal */
  verifyUnchecked(budgetBytes: number): boolean {
    this.assertUsable();
    return this.local.verifyUnchecked(budgetBytes);
  }

  async offsetForTimestamp(timestamp: number | 'max'): Promise<{ offset: number; timestamp: number } | undefined> {
    this.assertUsable();
    if (timestamp !== 'max') checkTimes({ timestamp });
    return this.local.offsetForTimestamp(timestamp, this._logStartOffset, (offset) => this.read(offset, { maxBytes: readBytesDefault }).records);
  }

  // --------------------------------------------------------------- truncation, deletion

  truncateTo(offset: number): void {
    this.assertUsable();
    if (!Number.isSafeInteger(offset) || offset < 0) throw new TributaryError('OFFSET_OUT_OF_RANGE', `cannot truncate to ${offset}`, this.context());
    if (offset >= this.logEndOffset) return;
    this.beforeChange();
    if (offset <= this._logStartOffset) {
      this.resetTo(this._logStartOffset);
      return;
    }
    this.generation++;
    this.local.truncateTo(offset);
    const seg = this.local.active;
    if (this.flusher.recoveryPoint > seg.baseOffset) this.flusher.setRecoveryPoint(seg.baseOffset);
    // The batch that held `offset` began below the log start: nothing readable is left.
    if (this.logEndOffset < this._logStartOffset) {
      this.resetTo(this._logStartOffset);
      return;
    }
    this.flusher.flushedOffset = Math.min(this.flusher.flushedOffset, this.logEndOffset);
    this.leaderEpochCache.truncateFromEnd(this.logEndOffset);
    truncateCleanerCheckpoint(this.store, this.logEndOffset);
  }

  truncateFullyAndStartAt(offset: number): void {
    this.assertUsable();
    if (!Number.isSafeInteger(offset) || offset < 0) throw new TributaryError('OFFSET_OUT_OF_RANGE', `cannot start at ${offset}`, this.context());
    this.beforeChange();
    this.resetTo(offset);
    this.leaderEpochCache.clearAndFlush();
  }

  /**
   * Deletes every segment and starts an empty one at `offset`. The checkpoints go first:
   * a crash midway then finds the log start at `offset` above what is left and finishes
   * the reset on open.
   */
  private resetTo(offset: number): void {
    this.generation++;
    this.checkpoints.writeLogStartOffset(offset);
    this.flusher.setRecoveryPoint(offset);
    this.local.resetTo(offset);
    this.store.syncDir();
    this._logStartOffset = offset;
    this.flusher.flushedOffset = offset;
    this.leaderEpochCache.truncateFromEnd(offset);
    truncateCleanerCheckpoint(this.store, offset);
  }

  async deleteRecords(offset: number): Promise<number> {
    this.assertUsable();
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > this.logEndOffset) {
      throw new TributaryError('OFFSET_OUT_OF_RANGE', `cannot delete records before ${offset}: the log is [${this._logStartOffset}, ${this.logEndOffset}]`, this.context());
    }
    if (offset <= this._logStartOffset) return this._logStartOffset;
    this.beforeChange();
    const segments = this.local.segments;
    let wholeBelow = 0;
    while (wholeBelow < segments.length - 1 && segments[wholeBelow + 1]!.baseOffset <= offset) wholeBelow++;
    this.deleteOldest(wholeBelow, offset);
    return this._logStartOffset;
  }

  async enforceRetention(now = this.clock.now(), upTo = this.logEndOffset): Promise<number> {
    this.assertUsable();
    checkTimes({ now, upTo });
    const c = this.config;
    const segments = this.local.segments;
    const reasons = planRetention(
      segments.map((s) => ({ baseOffset: s.baseOffset, sizeBytes: s.size, maxTimestamp: s.maxTimestamp })),
      {
        now,
        retentionMs: c.retentionMs,
        retentionBytes: c.retentionBytes,
        logStartOffset: this._logStartOffset,
        upTo,
        logEndOffset: this.logEndOffset,
        deleteEnabled: c.cleanupPolicy !== 'compact',
      },
    );
    if (reasons.length === 0) return 0;
    this.beforeChange();
    this.deleteOldest(reasons.length, Math.max(this._logStartOffset, segments[reasons.length]!.baseOffset));
    return reasons.length;
  }

  /**
   * Raises the log start offset to `logStart`, durably (the checkpoint first: a crash
   * then finds the segments below it still there and deletes them on the next
   * retention), then deletes the `count` oldest segments, oldest first.
   */
  private deleteOldest(count: number, logStart: number): void {
    if (logStart > this._logStartOffset) {
      this._logStartOffset = logStart;
      this.checkpoints.writeLogStartOffset(logStart);
    }
    this.local.deleteOldest(count);
    // KIP-101: the earliest epoch now starts at the new log start.
    this.leaderEpochCache.truncateFromStart(logStart);
  }

  async compact(now = this.clock.now(), upTo = this.logEndOffset): Promise<boolean> {
    this.assertUsable();
    checkTimes({ now, upTo });
    if (this.config.cleanupPolicy === 'delete' || this.compaction !== undefined) return false;
    this.compaction = compactLog(
      {
        store: this.store,
        config: this.config,
        segments: () => this.local.segments,
        replaceSegments: (first, count, seg) => this.local.replaceSegments(first, count, seg),
        isOpen: () => !this.closing && !this.closed && this.storageError === undefined,
        beforeChange: () => this.beforeChange(),
        now: () => this.clock.now(),
        failStorage: (err) => this.failStorage(err),
      },
      now,
      upTo,
      this.faults,
    );
    try {
      return await this.compaction;
    } finally {
      this.compaction = undefined;
    }
  }

  // ---------------------------------------------------------------------- epoch cache

  epochs(): readonly EpochEntry[] {
    this.assertOpen();
    return this.leaderEpochCache.entries;
  }

  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } | undefined {
    this.assertOpen();
    checkTimes({ epoch: epoch === -1 ? 0 : epoch });
    // Kafka's UnifiedLog.endOffsetForEpoch: the cache's endOffsetFor, none for an undefined offset.
    const found = this.leaderEpochCache.endOffsetFor(epoch, this.logEndOffset);
    return found.endOffset < 0 ? undefined : found;
  }

  // ------------------------------------------------------------------------ lifecycle

  /**
   * Waits for a running compaction to stop (it stops between groups), for the syncs in
   * flight and for the flushes of rolled segments; then writes the active segment's
   * indexes, fsyncs everything, writes the clean-shutdown marker and releases the folder.
   * Appends waiting on a sync resolve. Calling it again returns the same promise.
   */
  close(): Promise<void> {
    if (this.closeDone === undefined) {
      this.closing = true;
      this.closeDone = this.finishClose();
    }
    return this.closeDone;
  }

  private async finishClose(): Promise<void> {
    if (this.compaction !== undefined) await this.compaction.catch(() => {});
    await this.flusher.drain();
    if (this.closed) return; // abandoned meanwhile
    this.closed = true;
    this.flusher.stopTimers();
    try {
      if (this.storageError !== undefined) {
        this.flusher.settleWaiters(this.storageError);
        return;
      }
      const active = this.local.active;
      this.local.producerSnapshots.takeAtClose(this.local.segments, this.logEndOffset);
      if (this.changed || !this.recovery.clean) {
        // The fdatasyncs run in the thread pool, side by side (a broker closes all its logs at once); the
        // epoch file may stay behind where the checkpoints carry the history (leader-epoch-file-cache.ts).
        const syncs: Promise<void>[] = this.checkpoints.keepEpochs === true && this.leaderEpochCache.mayStayBehindPast(active.baseOffset) ? [] : [this.leaderEpochCache.syncIfNeeded()];
        for (const seg of this.local.segments) {
          // An empty active segment gets no index files: its file may not even exist. Nor
          // does a small one: a clean open restores it from its log file alone and never
          // reads its index files (`smallActiveSegmentBytes`), and a roll writes them whole;
          // at 10,000 partitions that is 20,000 file creations and syncs a close saves.
          const activeNeedsIndexes = seg === active && !seg.isEmpty && seg.size > smallActiveSegmentBytes;
          if (seg === active ? activeNeedsIndexes : seg.indexesDirty) {
            seg.writeIndexFiles(false);
            syncs.push(seg.syncIndexFiles());
          }
          syncs.push(seg.file.sync());
        }
        await Promise.all(syncs);
      }
      this.flusher.flushedOffset = this.logEndOffset;
      this.flusher.settleWaiters();
      // The files a listing would find (an empty segment may have none).
      const files = { segments: this.local.segments.filter((seg) => seg.file.onDisk !== false).map((seg) => seg.baseOffset), snapshots: [...this.local.producerSnapshots.onDisk] };
      this.checkpoints.markCleanShutdown(this.logEndOffset, active.baseOffset, this.leaderEpochCache.entries, files, this.leaderEpochCache.entriesInFile ?? 0);
    } finally {
      this.local.closeFiles();
      this.store.release();
    }
  }

  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    this.closing = true;
    this.flusher.stopTimers();
    this.local.closeFiles();
    this.flusher.settleWaiters(new TributaryError('CLIENT_CLOSED', 'the log was abandoned', this.context()));
    this.store.forget();
  }

  /** Takes the log offline after a storage failure that leaves its files and memory disagreeing (Kafka marks the log dir offline). */
  private failStorage(err: unknown): TributaryError {
    this.storageError ??= new TributaryError(
      'KAFKA_STORAGE_ERROR',
      `the log's storage failed (${String((err as Error)?.message ?? err)}); reopen it to recover`,
      { ...this.context(), cause: err },
    );
    return this.storageError;
  }

  private assertOpen(): void {
    if (this.closed) throw new TributaryError('CLIENT_CLOSED', `the log of ${this.topic}-${this.partition} is closed`, this.context());
  }

  private assertUsable(): void {
    this.assertOpen();
    if (this.storageError !== undefined) throw this.storageError;
  }

  private context(): { topic: string; partition: number } {
    return { topic: this.topic, partition: this.partition };
  }
}
