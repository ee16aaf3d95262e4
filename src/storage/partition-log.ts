import { join } from 'node:path';
import {
  asBuffer,
  attributeBits,
  batchBytesMax,
  batchHeaderBytes,
  batchLogOverheadBytes,
  checkBatch,
  compressionOf,
  crcStartPosition,
  decodeUncompressedBatch,
  positions,
  readInt64,
  writeInt64,
} from '../record/batch.js';
import { decodeBatch } from '../record/codecs/index.js';
import { assert } from '../util/assert.js';
import { type Clock, systemClock } from '../util/clock.js';
import { crc32c, crc32cUpdate } from '../util/crc32c.js';
import { TributaryError } from '../util/errors.js';
import { checkConfigChanges, checkLogOptions, checkReadOptions, checkTimes } from './log-options.js';
import { compactLog, truncateCleanerCheckpoint, type CompactionFaults } from './compaction.js';
import { orphanIndexFiles, planLeftovers, segmentsReplacedBySwap } from './core/leftovers.js';
import { parseSegmentFileName } from './core/offset-index.js';
import { planRetention, rollReason } from './core/segment-plan.js';
import { validateBatches, type ValidatedBatches } from './log-validator.js';
import {
  defaultLogConfig,
  type AppendOptions,
  type EpochEntry,
  type Log,
  type LogAppendInfo,
  type LogConfig,
  type LogReadResult,
  type ReadOptions,
  type RecoveryReport,
} from './log.js';
import { Segment } from './segment.js';
import { epochsFromHeaders } from './log-loader.js';
import { FileStore, MemoryStore, type Store } from './store.js';
import { asStorageError, readEpochCheckpoint, readNumberFile, sameEpochs, validateConfig, writeNumberFile } from './log-checks.js';

export { validateConfig } from './log-checks.js';

/**
 * Options for {@link PartitionLog.open}.
 *
 * @example
 * ```ts
 * import { PartitionLog, SimulatedClock, type PartitionLogOptions } from 'tributary-log';
 *
 * const options: PartitionLogOptions = {
 *   dataDir: '/tmp/tributary-example',
 *   topic: 'orders',
 *   partition: 3,
 *   config: { segmentBytes: 64 * 1024 * 1024, retentionMs: 24 * 60 * 60 * 1000 },
 *   clock: new SimulatedClock(),
 * };
 * const log = await PartitionLog.open(options); // files in /tmp/tributary-example/orders-3
 * await log.close();
 * ```
 */
export interface PartitionLogOptions {
  /** The data folder; the log lives in `<dataDir>/<topic>-<partition>`. */
  readonly dataDir: string;
  /** Topic name, checked with Kafka's rule before any path is built. */
  readonly topic: string;
  /** Partition number, 0 to 2^31 - 1. */
  readonly partition: number;
  /** Overrides of `defaultLogConfig`. */
  readonly config?: Partial<LogConfig>;
  /** The clock for LogAppendTime and retention; `systemClock` by default. */
  readonly clock?: Clock;
  /** @internal Crash tests stop a compaction between its steps. */
  readonly faults?: CompactionFaults;
  /** @internal Opens the folder's store (fault-injection tests wrap the `FileStore`). */
  readonly openStore?: (dir: string) => Store;
}

/**
 * Counters for benchmarks and monitoring.
 *
 * @example
 * ```ts
 * import { MemoryLog, encodeBatch, type LogStats } from 'tributary-log';
 *
 * const log = new MemoryLog({ topic: 'orders', partition: 0 });
 * log.write(await encodeBatch([{ value: Buffer.from('a') }]));
 * log.write(await encodeBatch([{ value: Buffer.from('b') }]));
 * const stats: LogStats = log.stats;
 * console.log(stats.batches); // 2
 * ```
 */
export interface LogStats {
  /** fdatasync calls made by the flush policy or `sync()`. */
  syncs: number;
  /** Batches written. */
  batches: number;
  /** Segments rolled. */
  rolls: number;
}

/** Present only between a clean `close()` and the first change after the next open. */
const cleanShutdownFile = '.kafka_cleanshutdown';
const logStartCheckpointFile = 'log-start-offset-checkpoint';
const epochCheckpointFile = 'leader-epoch-checkpoint';
/** Every segment that ends at or below this offset is fsynced, with its index files. */
const recoveryPointFile = 'recovery-point-offset-checkpoint';

/** The most bytes one read returns, whatever `maxBytes` asks (Kafka's fetch.max.bytes is 50 MiB). */
const readBytesMax = 64 * 1024 * 1024;
/** `maxBytes` of a read that names none (Kafka's max.partition.fetch.bytes). */
const readBytesDefault = 1024 * 1024;
/** Headers of a write are stamped in a scratch buffer that grows to the largest write's batch count, up to this many. */
const scratchBatchesMax = 4096;

assert(readBytesDefault <= readBytesMax, 'a read asks by default for no more than any read may');
assert(scratchBatchesMax * batchHeaderBytes <= readBytesMax, 'the header scratch buffer stays small');

/** Returned by a read that found the index and the log disagreeing. */
const indexMismatch = Symbol('index mismatch');

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

  private segments: Segment[] = [];
  /** Where the last read ended, so a sequential reader skips the index (see readFromSegment). */
  private readAhead: { segment: Segment; offset: number; position: number } | undefined;
  private _logStartOffset = 0;
  private _flushedOffset = 0;
  /** The recovery point as last written to its checkpoint. */
  private recoveryPoint = 0;
  private epochCache: EpochEntry[] = [];
  private closing = false;
  private closed = false;
  private closeDone: Promise<void> | undefined;
  /** Whether the clean-shutdown marker is on disk (removed before the first change). */
  private cleanMarker = false;
  /** A new partition's folder entries are not yet fsynced (load skipped it): its first sync does. */
  private dirUnsynced = false;
  /** Set when a write to the files failed in a way that leaves them disagreeing with memory: the log is offline until reopened. */
  private storageError: TributaryError | undefined;
  /** Bumped whenever the tail of the log is cut, so that a flush begun before it does not vouch for what came after. */
  private generation = 0;
  /** Flushes of rolled segments, in roll order. */
  private rollFlushes: Promise<void> = Promise.resolve();
  /** Rolled segments waiting for their flush, in roll order, and whether a flush runs. */
  private rolled: { segment: Segment; upTo: number; generation: number }[] = [];
  private rollFlushing = false;
  private syncInFlight: Promise<void> | undefined;
  private syncWaiters: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  private intervalTimer: NodeJS.Timeout | undefined;
  private compaction: Promise<boolean> | undefined;
  private headerScratch = Buffer.allocUnsafe(batchHeaderBytes * 16);
  private readonly clock: Clock;
  private readonly faults: CompactionFaults | undefined;

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
  ) {
    this.config = validateConfig({ ...defaultLogConfig, ...config });
    this.clock = clock ?? systemClock;
    this.faults = faults;
    this.recovery = { clean: true, segmentsScanned: 0, batchesScanned: 0, bytesScanned: 0, bytesTruncated: 0, indexesRebuilt: 0, segmentsDeleted: 0, leftovers: [], durationMs: 0 };
  }

  /**
   * Opens (creating if needed) the log of `topic`-`partition` under `dataDir`, recovering
   * whatever a crash left. The topic name, partition and config are validated before any
   * path is built. Fails with `LOG_DIR_LOCKED` if the log is open elsewhere. Never fails
   * because of damaged data: recovery keeps the longest valid prefix and reports the rest
   * in `recovery`.
   */
  static async open(options: PartitionLogOptions): Promise<PartitionLog> {
    checkLogOptions(options, 'a PartitionLog');
    validateConfig({ ...defaultLogConfig, ...options.config });
    const context = { topic: options.topic, partition: options.partition };
    const dir = join(options.dataDir, `${options.topic}-${options.partition}`);
    let store: Store;
    try {
      store = options.openStore?.(dir) ?? new FileStore(dir);
    } catch (err) {
      throw asStorageError(err, `cannot open ${dir}`, context);
    }
    try {
      const log = new PartitionLog(options.topic, options.partition, store, options.config, options.clock, options.faults);
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
    return this.active.nextOffset;
  }
  get flushedOffset(): number {
    return this._flushedOffset;
  }
  get sizeInBytes(): number {
    let total = 0;
    for (const s of this.segments) total += s.size;
    return total;
  }
  /** Number of segments (for tests and monitoring). */
  get segmentCount(): number {
    return this.segments.length;
  }
  private get active(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  // ---------------------------------------------------------------- loading and recovery

  /** Loads the segments and recovers what a crash left. @internal */
  protected load(): void {
    const started = performance.now();
    const store = this.store;
    const now = this.clock.now();
    const interval = this.config.indexIntervalBytes;
    const names = store.list();
    const clean = names.includes(cleanShutdownFile);
    this.cleanMarker = clean;
    const leftovers: string[] = [];
    let changed = false;

    // Files of interrupted operations, decided by name (core/leftovers.ts).
    const plan = planLeftovers(names);
    for (const name of plan.remove) {
      store.remove(name);
      leftovers.push(`removed ${name}`);
    }
    const mustScan = new Set<number>();
    for (const swapBase of plan.swaps) {
      leftovers.push(this.completeSwap(swapBase, mustScan, now));
      changed = true;
    }
    for (const name of orphanIndexFiles(store.list())) {
      store.remove(name);
      leftovers.push(`removed ${name}`);
    }
    if (leftovers.length > 0) store.syncDir();

    const bases = store
      .list()
      .map(parseSegmentFileName)
      .filter((p): p is { baseOffset: number; suffix: string } => p !== undefined && p.suffix === 'log')
      .map((p) => p.baseOffset)
      .sort((a, b) => a - b);
    const logStartCheckpoint = readNumberFile(store, logStartCheckpointFile);
    const recoveryPoint = clean ? Infinity : (readNumberFile(store, recoveryPointFile) ?? 0);
    const epochCheckpoint = readEpochCheckpoint(store);
    const epochsFromScan: EpochEntry[] = [];
    const scanned = new Set<Segment>();
    let batchesScanned = 0;
    let bytesTruncated = 0;
    let indexesRebuilt = 0;
    let segmentsDeleted = 0;
    let truncatedBecause: string | undefined;

    // A new partition: nothing to recover and nothing worth an fsync until its first write.
    const fresh = (this.dirUnsynced = bases.length === 0 && leftovers.length === 0 && !names.some((n) => n.endsWith('checkpoint')));
    if (bases.length === 0) bases.push(logStartCheckpoint ?? 0);
    for (let i = 0; i < bases.length; i++) {
      const base = bases[i]!;
      const seg = new Segment(store, base, store.open(Segment.fileName(base, 'log'), true), now);
      this.segments.push(seg);
      const nextBase = bases[i + 1] ?? Infinity;
      const previous = this.segments[i - 1];
      let problem: string | undefined;
      let validBytes = 0;
      if (previous !== undefined && previous.nextOffset !== base) {
        problem = `a gap: the segment starts at ${base}, the previous one ends at ${previous.nextOffset}`;
      } else {
        const trustable = nextBase <= recoveryPoint && !mustScan.has(base);
        if (trustable && seg.loadIndexFiles() && seg.restoreTail()) continue;
        if (trustable) indexesRebuilt++;
        scanned.add(seg);
        const result = seg.scan(base, nextBase, interval, (b, epoch) => {
          const last = epochsFromScan[epochsFromScan.length - 1];
          if (epoch >= 0 && (last === undefined || epoch > last.epoch)) epochsFromScan.push({ epoch, startOffset: b });
        });
        batchesScanned += result.batches;
        validBytes = result.validBytes;
        if (result.problem !== undefined) problem = result.problem;
      }
      if (problem === undefined) continue;
      // Keep the longest valid prefix: drop every later segment (last first, so a crash
      // midway still leaves a prefix), then cut this one (dropping it too if nothing of
      // it is valid and it is not the first).
      changed = true;
      truncatedBecause = `${problem} at byte ${validBytes} of segment ${base}`;
      for (const later of bases.slice(i + 1).reverse()) {
        const f = store.open(Segment.fileName(later, 'log'), false);
        bytesTruncated += f.size;
        f.close();
        for (const suffix of ['log', 'index', 'timeindex'] as const) store.remove(Segment.fileName(later, suffix));
        segmentsDeleted++;
      }
      bytesTruncated += seg.size - validBytes;
      if (validBytes === 0 && i > 0) {
        this.segments.pop()!.deleteFiles();
        scanned.delete(seg);
        segmentsDeleted++;
      } else {
        seg.truncateAt(validBytes, interval);
        scanned.add(seg);
      }
      break;
    }
    // An empty segment other than the last (a crash right after a roll, then a later
    // roll) holds nothing: remove it.
    for (let i = this.segments.length - 2; i >= 0; i--) {
      const s = this.segments[i]!;
      if (s.isEmpty) {
        s.deleteFiles();
        this.segments.splice(i, 1);
        scanned.delete(s);
        changed = true;
      }
    }

    // The log start offset: the checkpoint, but never below the first segment.
    this._logStartOffset = Math.max(logStartCheckpoint ?? 0, this.segments[0]!.baseOffset);
    if (this._logStartOffset > this.logEndOffset) {
      // Everything up to the log start was deleted and the tail was lost (a power loss
      // after deleteRecords): start over there.
      this.beforeChange();
      this.resetTo(this._logStartOffset);
      changed = true;
    }

    // The epoch cache: the checkpoint (written before the first batch of each new epoch),
    // cut at the recovered log end, plus any epoch the scan saw after it.
    let epochs = epochCheckpoint ?? (this.isEmptyLog() ? [] : epochsFromHeaders(this.segments));
    epochs = epochs.filter((e) => e.startOffset < this.logEndOffset);
    for (const e of epochsFromScan) {
      const last = epochs[epochs.length - 1];
      if (last === undefined || e.epoch > last.epoch) epochs.push(e);
    }
    this.epochCache = epochs;
    if (!fresh && (epochCheckpoint === undefined || !sameEpochs(epochs, epochCheckpoint))) this.writeEpochCheckpoint();

    if (changed) this.beforeChange();
    if (!fresh && (!clean || changed)) {
      // Make what recovery kept durable, so that the next crash starts from here.
      for (const s of this.segments) {
        if (!scanned.has(s)) continue;
        if (s !== this.active && s.indexesDirty) s.writeIndexFiles(true);
        s.file.syncNow();
      }
      store.syncDir();
      this.writeRecoveryPoint(this.active.baseOffset);
    } else {
      this.recoveryPoint = readNumberFile(store, recoveryPointFile) ?? 0;
    }
    this._flushedOffset = this.logEndOffset;
    this.recovery = {
      clean,
      segmentsScanned: scanned.size,
      batchesScanned,
      bytesScanned: [...scanned].reduce((n, s) => n + s.size, 0),
      bytesTruncated,
      ...(truncatedBecause === undefined ? {} : { truncatedBecause }),
      indexesRebuilt,
      segmentsDeleted,
      leftovers,
      durationMs: performance.now() - started,
    };
    if (this.config.flushPolicy === 'interval') {
      this.intervalTimer = setInterval(() => {
        if (this._flushedOffset < this.logEndOffset && this.storageError === undefined) this.sync().catch(() => {});
      }, this.config.flushIntervalMs);
      this.intervalTimer.unref();
    }
  }

  /**
   * Completes a compaction that crashed after its commit point (see compaction.ts): the
   * `.swap` file replaces every segment it covers. A swap that is itself damaged (it was
   * fsynced before its rename, so only a failing disk does that) is discarded while the
   * first original is still there to fall back on.
   */
  private completeSwap(swapBase: number, mustScan: Set<number>, now: number): string {
    const store = this.store;
    const swapName = `${Segment.fileName(swapBase, 'log')}.swap`;
    const logName = Segment.fileName(swapBase, 'log');
    const swap = new Segment(store, swapBase, store.open(swapName, false), now);
    const check = swap.scan(swapBase, Infinity, this.config.indexIntervalBytes, () => {});
    swap.file.close();
    if (check.problem !== undefined && store.exists(logName)) {
      store.remove(swapName);
      return `discarded ${swapName}: ${check.problem} at byte ${check.validBytes}; kept the original segments`;
    }
    const bases = store
      .list()
      .map(parseSegmentFileName)
      .filter((p): p is { baseOffset: number; suffix: string } => p !== undefined && p.suffix === 'log')
      .map((p) => p.baseOffset);
    const replaced = segmentsReplacedBySwap(bases, swapBase, swap.nextOffset);
    for (const b of [...replaced].reverse()) {
      for (const suffix of ['index', 'timeindex'] as const) store.remove(Segment.fileName(b, suffix));
      if (b !== swapBase) store.remove(Segment.fileName(b, 'log'));
    }
    store.rename(swapName, logName);
    mustScan.add(swapBase);
    return `completed ${swapName}, replacing segment(s) ${replaced.join(', ') || 'none'}`;
  }

  private isEmptyLog(): boolean {
    return this.segments.every((s) => s.isEmpty);
  }

  /** Removes the clean-shutdown marker before the first change to the log's files after open. */
  private beforeChange(): void {
    if (!this.cleanMarker) return;
    this.store.remove(cleanShutdownFile);
    this.store.syncDir();
    this.cleanMarker = false;
  }

  private writeRecoveryPoint(offset: number): void {
    writeNumberFile(this.store, recoveryPointFile, offset);
    this.recoveryPoint = offset;
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

    // Copy the 61-byte headers into a scratch buffer and stamp them there (base offset,
    // leader epoch, LogAppendTime and its CRC), then write headers and the caller's
    // untouched record bytes with one pwritev. Why not copy the batches into one buffer
    // and stamp that: for 100 KB batches the copy into fresh memory cost more than the
    // write itself (page faults on every new buffer): 330 us per batch against 50 us for
    // header + writev, measured here.
    // A follower's batches are written as they came; only a leader's are stamped, so only
    // they take the scratch copy. Offsets, epochs, sizes and timestamps come from the
    // validated headers, not from the bytes again.
    const batches = validated.batches;
    const headers = assign ? this.scratchFor(batchCount) : undefined;
    const firstOffset = this.logEndOffset;
    const logAppendTime = c.messageTimestampType === 'LogAppendTime' && assign ? now : -1;
    const parts: Buffer[] = assign ? new Array<Buffer>(batchCount * 2) : [];
    const baseOf = (i: number, next: number): number => (assign ? next : batches[i]!.header.baseOffset);
    let next = firstOffset;
    let maxTimestampIn = -1;
    for (let i = 0; i < batchCount; i++) {
      const { position: p, size, header: b } = batches[i]!;
      if (headers !== undefined) {
        const h = i * batchHeaderBytes;
        input.copy(headers, h, p, p + batchHeaderBytes);
        writeInt64(headers, h + positions.baseOffset, next);
        if (epoch !== undefined) headers.writeInt32BE(epoch, h + positions.partitionLeaderEpoch);
        if (logAppendTime >= 0) {
          headers.writeInt16BE(headers.readInt16BE(h + positions.attributes) | attributeBits.timestampType, h + positions.attributes);
          writeInt64(headers, h + positions.maxTimestamp, logAppendTime);
          const crc = crc32cUpdate(crc32c(headers, h + crcStartPosition, h + batchHeaderBytes), input, p + batchHeaderBytes, p + size);
          headers.writeUInt32BE(crc, h + positions.crc);
        }
        parts[i * 2] = headers.subarray(h, h + batchHeaderBytes);
        parts[i * 2 + 1] = input.subarray(p + batchHeaderBytes, p + size);
      }
      next = baseOf(i, next) + b.lastOffsetDelta + 1;
      const maxTimestamp = logAppendTime >= 0 ? logAppendTime : b.maxTimestamp;
      if (maxTimestamp > maxTimestampIn) maxTimestampIn = maxTimestamp;
    }
    const lastOffset = next - 1;

    this.beforeChange();
    const reason = rollReason(this.active.facts(), { bytes: input.length, batchCount, lastOffset, maxTimestamp: maxTimestampIn, now }, c);
    if (reason !== undefined) this.roll(firstOffset);
    // The epoch checkpoint is written before the batches, so a crash can leave an entry
    // past the log end (cut on load) but never a batch whose epoch the cache lacks.
    for (let i = 0, base = firstOffset; i < batchCount; i++) {
      const b = batches[i]!.header;
      base = baseOf(i, base);
      this.noteEpoch(assign && epoch !== undefined ? epoch : b.partitionLeaderEpoch, base);
      base += b.lastOffsetDelta + 1;
    }
    const seg = this.active;
    let position = seg.size;
    try {
      if (assign) seg.file.appendv(parts);
      else seg.file.append(input, 0, input.length);
    } catch (err) {
      this.truncateEpochsFrom(this.logEndOffset);
      throw new TributaryError('KAFKA_STORAGE_ERROR', `writing to segment ${seg.baseOffset} failed: ${String(err)}`, { ...this.context(), cause: err });
    }
    for (let i = 0, base = firstOffset; i < batchCount; i++) {
      const { size, header: b } = batches[i]!;
      base = baseOf(i, base);
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

  /** A buffer for `batchCount` headers, reused from one write to the next (writes are synchronous). */
  private scratchFor(batchCount: number): Buffer {
    const bytes = batchCount * batchHeaderBytes;
    if (bytes <= this.headerScratch.length) return this.headerScratch;
    const scratch = Buffer.allocUnsafe(bytes);
    if (batchCount <= scratchBatchesMax) this.headerScratch = scratch;
    return scratch;
  }

  private noteEpoch(epoch: number, startOffset: number): void {
    if (epoch < 0) return;
    const last = this.epochCache[this.epochCache.length - 1];
    if (last !== undefined && epoch <= last.epoch) return;
    this.epochCache.push({ epoch, startOffset });
    this.writeEpochCheckpoint();
  }

  /**
   * Starts a new active segment at `baseOffset`. The old segment's index files are
   * written at once; making it durable (fdatasync of the log and indexes, then the
   * recovery point) happens off the write path, in roll order, as Kafka's
   * `flushUptoOffsetExclusive` does: a full 1 GiB segment can take seconds to sync, and
   * appends must not wait for it. Until its flush completes, recovery scans the segment.
   * Rolls that queue while a flush runs are flushed together, their fsyncs in parallel,
   * with one folder sync and one recovery-point write: a bulk load of 16 KiB segments
   * rolls faster than five serial fsyncs per roll complete, and the recovery point then
   * lagged hundreds of segments behind, each of them rescanned after a crash.
   */
  private roll(baseOffset: number): void {
    const old = this.active;
    old.writeIndexFiles(false);
    this.segments.push(new Segment(this.store, baseOffset, this.store.open(Segment.fileName(baseOffset, 'log'), true), this.clock.now()));
    this.stats.rolls++;
    this.rolled.push({ segment: old, upTo: baseOffset, generation: this.generation });
    if (this.rolled.length === 1 && !this.rollFlushing) this.rollFlushes = this.rollFlushes.then(() => this.flushRolled());
  }

  private async flushRolled(): Promise<void> {
    this.rollFlushing = true;
    try {
      while (this.rolled.length > 0 && !this.closed) {
        const batch = this.rolled.splice(0);
        try {
          // A segment removed meanwhile (retention, truncation) has nothing left to make durable.
          const syncOne = async (s: Segment): Promise<void> => (s.deleted ? undefined : Promise.all([s.file.sync(), s.syncIndexFiles()]).then(() => undefined, (err: unknown) => { if (!s.deleted) throw err; }));
          await Promise.all(batch.map((r) => syncOne(r.segment)));
          await this.store.syncDirAsync();
        } catch (err) {
          if (!this.closed) this.failStorage(err);
          return;
        }
        const upTo = batch.filter((r) => r.generation === this.generation).at(-1)?.upTo;
        if (this.closed || this.storageError !== undefined || upTo === undefined) continue;
        this.stats.syncs++;
        this.writeRecoveryPoint(upTo);
        if (upTo > this._flushedOffset && upTo <= this.logEndOffset) this._flushedOffset = upTo;
      }
    } finally {
      this.rollFlushing = false;
      this.rolled = [];
    }
  }

  /**
   * fdatasync of everything written so far. One sync runs at a time; callers that arrive
   * while it runs wait for the next one, which then covers all of them: with 64
   * concurrent appenders under `flush always`, each fdatasync (about 0.4 ms here) makes
   * dozens of appends durable at once instead of one. A sync also waits for the flushes
   * of segments rolled before it began.
   */
  sync(): Promise<void> {
    try {
      this.assertUsable();
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      this.syncWaiters.push({ resolve, reject });
      if (this.syncInFlight === undefined) this.startSync();
    });
  }

  private startSync(): void {
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    const target = this.logEndOffset;
    const seg = this.active;
    const generation = this.generation;
    this.stats.syncs++;
    const dirSync = this.dirUnsynced ? ((this.dirUnsynced = false), this.store.syncDirAsync()) : undefined; // a new partition's first sync makes its files' names durable too
    const activeSync = Promise.all([seg.file.sync(), dirSync]).catch((err: unknown) => {
      // A segment truncated away meanwhile has nothing left to make durable.
      if (!seg.deleted && !this.closed) throw err;
    });
    this.syncInFlight = Promise.all([this.rollFlushes, activeSync]).then(
      () => {
        if (this.storageError !== undefined) {
          for (const w of waiters) w.reject(this.storageError);
          return;
        }
        if (generation === this.generation && target > this._flushedOffset) this._flushedOffset = target;
        for (const w of waiters) w.resolve();
      },
      (err: unknown) => {
        const error = this.closed ? new TributaryError('CLIENT_CLOSED', 'the log was closed before its data was synced', this.context()) : this.failStorage(err);
        for (const w of waiters) w.reject(error);
      },
    );
    // The next sync starts one event-loop turn after this one ends, not at once. Why: the
    // appenders this sync just released append again within that turn, and so join the
    // next sync. Starting at once would split 64 appenders into two cohorts that take
    // turns (32 records per fdatasync, measured); waiting one turn keeps them in one
    // (about 64), doubling throughput for the price of a few microseconds of latency.
    void this.syncInFlight.finally(() => {
      setImmediate(() => {
        this.syncInFlight = undefined;
        if (this.syncWaiters.length > 0 && !this.closed) this.startSync();
      });
    });
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
    // After compaction a segment may end in an empty batch; the batch holding `offset` is
    // then still in the segment whose base offset is the greatest at or below it.
    for (let i = this.segmentIndexFor(offset); i < this.segments.length; i++) {
      const seg = this.segments[i]!;
      if (seg.nextOffset <= offset) continue;
      const records = this.readFromSegment(seg, offset, maxBytes, maxOffset, into);
      if (records !== undefined) return { records, logStartOffset: this._logStartOffset, logEndOffset: this.logEndOffset };
    }
    return { records: Buffer.alloc(0), logStartOffset: this._logStartOffset, logEndOffset: this.logEndOffset };
  }

  /**
   * Whole batches from `seg` starting with the one that holds `offset`, or undefined if
   * the segment has none at or after it. If the index led the read astray (an index
   * file that passed the cheap checks at open but is wrong in the middle), the segment's
   * indexes are rebuilt by a checked scan and the read retried; if the scan finds the
   * log itself damaged, the read fails with KAFKA_STORAGE_ERROR rather than return a
   * damaged batch.
   */
  private readFromSegment(seg: Segment, offset: number, maxBytes: number, maxOffset: number, into: Buffer | undefined): Buffer | undefined {
    const first = this.tryReadFromSegment(seg, offset, maxBytes, maxOffset, into);
    if (first !== indexMismatch) return first;
    this.repairIndexes(seg);
    const second = this.tryReadFromSegment(seg, offset, maxBytes, maxOffset, into);
    if (second !== indexMismatch) return second;
    throw this.damaged(seg, `its batches do not follow one another at offset ${offset}`);
  }

  /**
   * Why the read-ahead position: a consumer reads sequentially, asking next for exactly
   * the offset after the last batch it got. Remembering where that batch ended turns the
   * next read into one pread at a known position, where an index lookup would cost a
   * binary search plus a read of up to index.interval.bytes before the target.
   *
   * Every batch walked over is checked against what the walk expects (magic, a sane
   * length, and a base offset exactly after the previous batch: batch spans tile the
   * log), which costs nothing next to the read and catches a wrong index position.
   */
  private tryReadFromSegment(
    seg: Segment,
    offset: number,
    maxBytes: number,
    maxOffset: number,
    into: Buffer | undefined,
  ): Buffer | undefined | typeof indexMismatch {
    const readSpan = (position: number, length: number): Buffer => {
      if (into !== undefined && length <= into.length) return into.subarray(0, seg.file.read(into, 0, length, position));
      return seg.readBytes(position, length);
    };
    const cached = this.readAhead;
    const known = cached !== undefined && cached.segment === seg && cached.offset === offset;
    let start: number;
    let expected: number;
    if (known) {
      start = cached.position;
      expected = cached.offset;
    } else {
      const entry = seg.lookup(offset);
      start = entry.position;
      expected = entry.baseOffset;
    }
    // From an index position the target is within about index.interval.bytes plus one
    // batch; read that much extra so that one read usually covers both (with a caller's
    // buffer, never more than it holds).
    const slack = known ? 0 : Math.min(this.config.indexIntervalBytes * 2 + 64 * 1024, into === undefined ? Infinity : into.length - maxBytes);
    let bytes = readSpan(start, Math.min(seg.size - start, maxBytes + slack));
    let p = 0;
    const sane = (at: number, size: number, base: number): boolean =>
      base === expected && bytes[at + positions.magic] === 2 && size >= batchHeaderBytes && size <= batchBytesMax && start + at + size <= seg.size;
    for (;;) {
      if (p + batchHeaderBytes > bytes.length) {
        if (start + p >= seg.size) return undefined;
        // The batch holding `offset` lies beyond this read: read again from here.
        start += p;
        p = 0;
        bytes = readSpan(start, Math.min(seg.size - start, maxBytes + slack));
        if (bytes.length < batchHeaderBytes) return indexMismatch;
        continue;
      }
      const size = bytes.readInt32BE(p + positions.batchLength) + batchLogOverheadBytes;
      const base = readInt64(bytes, p + positions.baseOffset);
      if (!sane(p, size, base)) return indexMismatch;
      const last = base + bytes.readInt32BE(p + positions.lastOffsetDelta);
      if (last >= offset) {
        if (p + size > bytes.length) {
          // A batch larger than what we read: read it (and what follows) whole.
          start += p;
          p = 0;
          bytes = readSpan(start, Math.min(seg.size - start, Math.max(maxBytes, size)));
        }
        break;
      }
      expected = last + 1;
      p += size;
    }
    let end = p;
    let nextOffset = offset;
    while (end + batchHeaderBytes <= bytes.length) {
      const size = bytes.readInt32BE(end + positions.batchLength) + batchLogOverheadBytes;
      const base = readInt64(bytes, end + positions.baseOffset);
      if (!sane(end, size, base)) return indexMismatch;
      if (end + size > bytes.length) break;
      // A batch not CRC-checked since open is checked before any field of it is believed
      // (a damaged last offset delta would otherwise pass for a batch beyond maxOffset).
      // The whole batches before a damaged one are served; a read of it fails.
      if (seg.isUnchecked(start + end)) {
        if (!checkBatch(bytes, end, end + size).ok) {
          if (end === p) throw this.damaged(seg, `the batch at byte ${start + end} fails its check`);
          break;
        }
        seg.noteChecked(start + end, size);
      }
      const last = base + bytes.readInt32BE(end + positions.lastOffsetDelta);
      if (last >= maxOffset) break;
      if (end > p && end + size - p > maxBytes) break;
      end += size;
      expected = last + 1;
      nextOffset = last + 1;
    }
    if (end === p) return Buffer.alloc(0);
    this.readAhead = { segment: seg, offset: nextOffset, position: start + end };
    return bytes.subarray(p, end);
  }

  /** Rebuilds a segment's indexes by a checked scan, after a read found them wrong. */
  private repairIndexes(seg: Segment): void {
    this.readAhead = undefined;
    const next = this.segments[this.segments.indexOf(seg) + 1];
    const nextOffsetBefore = seg.nextOffset;
    const result = seg.scan(seg.baseOffset, next?.baseOffset ?? Infinity, this.config.indexIntervalBytes, () => {}, false);
    if (result.problem !== undefined) throw this.damaged(seg, `${result.problem} at byte ${result.validBytes}`);
    assert(seg.nextOffset === nextOffsetBefore, `a checked scan of segment ${seg.baseOffset} ends where the segment did`);
  }

  private damaged(seg: Segment, why: string): TributaryError {
    return new TributaryError(
      'KAFKA_STORAGE_ERROR',
      `segment ${seg.baseOffset} of ${this.topic}-${this.partition} is damaged: ${why}; its records cannot be served`,
      this.context(),
    );
  }

  /** Index of the segment whose base offset is the greatest <= offset. */
  private segmentIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.segments[mid]!.baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Position of the first batch in `seg` whose last offset is >= offset (headers only; the segment's batches were checked). */
  private findBatchPosition(seg: Segment, offset: number): number | undefined {
    const header = Buffer.allocUnsafe(batchHeaderBytes);
    let pos = seg.lookup(offset).position;
    while (pos + batchHeaderBytes <= seg.size) {
      seg.file.read(header, 0, batchHeaderBytes, pos);
      const last = readInt64(header, positions.baseOffset) + header.readInt32BE(positions.lastOffsetDelta);
      if (last >= offset) return pos;
      const size = header.readInt32BE(positions.batchLength) + batchLogOverheadBytes;
      if (size < batchHeaderBytes || header[positions.magic] !== 2) throw this.damaged(seg, `no batch header at byte ${pos}`);
      pos += size;
    }
    return undefined;
  }

  async offsetForTimestamp(timestamp: number): Promise<{ offset: number; timestamp: number } | undefined> {
    this.assertUsable();
    checkTimes({ timestamp });
    for (const seg of [...this.segments]) {
      if (seg.maxTimestamp < timestamp || seg.nextOffset <= this._logStartOffset || seg.deleted) continue;
      let offset = Math.max(seg.offsetBeforeTimestamp(timestamp), this._logStartOffset, seg.baseOffset);
      while (offset < seg.nextOffset && !seg.deleted) {
        const { records } = this.read(offset, { maxBytes: readBytesDefault });
        if (records.length === 0) break;
        const bytes = asBuffer(records);
        for (let p = 0; p + batchHeaderBytes <= bytes.length; ) {
          const size = bytes.readInt32BE(p + positions.batchLength) + batchLogOverheadBytes;
          const last = readInt64(bytes, p + positions.baseOffset) + bytes.readInt32BE(p + positions.lastOffsetDelta);
          if (readInt64(bytes, p + positions.maxTimestamp) >= timestamp) {
            const compressed = compressionOf(bytes.readInt16BE(p + positions.attributes)) !== 'none';
            for (const r of compressed ? await decodeBatch(bytes, p) : decodeUncompressedBatch(bytes, p)) {
              if (r.offset >= offset && r.offset >= this._logStartOffset && r.timestamp >= timestamp) return { offset: r.offset, timestamp: r.timestamp };
            }
          }
          offset = last + 1;
          p += size;
        }
      }
    }
    return undefined;
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
    this.readAhead = undefined;
    // Later segments first, so that a crash midway leaves a prefix of the log.
    while (this.segments.length > 1 && this.active.baseOffset >= offset) this.segments.pop()!.deleteFiles();
    const seg = this.active;
    const position = this.findBatchPosition(seg, offset);
    // A batch is the unit of truncation: one that straddles `offset` goes whole.
    if (position !== undefined) seg.truncateAt(position, this.config.indexIntervalBytes);
    if (this.recoveryPoint > seg.baseOffset) this.writeRecoveryPoint(seg.baseOffset);
    // The batch that held `offset` began below the log start: nothing readable is left.
    if (this.logEndOffset < this._logStartOffset) {
      this.resetTo(this._logStartOffset);
      return;
    }
    this._flushedOffset = Math.min(this._flushedOffset, this.logEndOffset);
    this.truncateEpochsFrom(this.logEndOffset);
    truncateCleanerCheckpoint(this.store, this.logEndOffset);
  }

  truncateFullyAndStartAt(offset: number): void {
    this.assertUsable();
    if (!Number.isSafeInteger(offset) || offset < 0) throw new TributaryError('OFFSET_OUT_OF_RANGE', `cannot start at ${offset}`, this.context());
    this.beforeChange();
    this.resetTo(offset);
    this.epochCache = [];
    this.writeEpochCheckpoint();
  }

  /**
   * Deletes every segment and starts an empty one at `offset`. The checkpoints go first:
   * a crash midway then finds the log start at `offset` above what is left and finishes
   * the reset on open.
   */
  private resetTo(offset: number): void {
    this.generation++;
    this.readAhead = undefined;
    writeNumberFile(this.store, logStartCheckpointFile, offset);
    this.writeRecoveryPoint(offset);
    for (const s of [...this.segments].reverse()) s.deleteFiles();
    this.segments = [new Segment(this.store, offset, this.store.open(Segment.fileName(offset, 'log'), true), this.clock.now())];
    this.store.syncDir();
    this._logStartOffset = offset;
    this._flushedOffset = offset;
    this.truncateEpochsFrom(offset);
    truncateCleanerCheckpoint(this.store, offset);
  }

  private truncateEpochsFrom(offset: number): void {
    const kept = this.epochCache.filter((e) => e.startOffset < offset);
    if (kept.length !== this.epochCache.length) {
      this.epochCache = kept;
      this.writeEpochCheckpoint();
    }
  }

  async deleteRecords(offset: number): Promise<number> {
    this.assertUsable();
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > this.logEndOffset) {
      throw new TributaryError('OFFSET_OUT_OF_RANGE', `cannot delete records before ${offset}: the log is [${this._logStartOffset}, ${this.logEndOffset}]`, this.context());
    }
    if (offset <= this._logStartOffset) return this._logStartOffset;
    this.beforeChange();
    let wholeBelow = 0;
    while (wholeBelow < this.segments.length - 1 && this.segments[wholeBelow + 1]!.baseOffset <= offset) wholeBelow++;
    this.deleteOldest(wholeBelow, offset);
    return this._logStartOffset;
  }

  async enforceRetention(now = this.clock.now(), upTo = this.logEndOffset): Promise<number> {
    this.assertUsable();
    checkTimes({ now, upTo });
    const c = this.config;
    const reasons = planRetention(
      this.segments.map((s) => ({ baseOffset: s.baseOffset, sizeBytes: s.size, maxTimestamp: s.maxTimestamp })),
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
    this.deleteOldest(reasons.length, Math.max(this._logStartOffset, this.segments[reasons.length]!.baseOffset));
    return reasons.length;
  }

  /**
   * Raises the log start offset to `logStart`, durably (the checkpoint first: a crash
   * then finds the segments below it still there and deletes them on the next
   * retention), then deletes the `count` oldest segments, oldest first.
   */
  private deleteOldest(count: number, logStart: number): void {
    assert(count < this.segments.length, 'the active segment is never deleted');
    if (logStart > this._logStartOffset) {
      this._logStartOffset = logStart;
      writeNumberFile(this.store, logStartCheckpointFile, logStart);
    }
    for (const seg of this.segments.splice(0, count)) seg.deleteFiles();
    // KIP-101: the earliest epoch now starts at the new log start.
    const idx = this.epochCache.findLastIndex((e) => e.startOffset <= logStart);
    if (idx > 0 || (idx === 0 && this.epochCache[0]!.startOffset < logStart)) {
      this.epochCache = [{ epoch: this.epochCache[idx]!.epoch, startOffset: logStart }, ...this.epochCache.slice(idx + 1)];
      this.writeEpochCheckpoint();
    }
  }

  async compact(now = this.clock.now(), upTo = this.logEndOffset): Promise<boolean> {
    this.assertUsable();
    checkTimes({ now, upTo });
    if (this.config.cleanupPolicy === 'delete' || this.compaction !== undefined) return false;
    this.compaction = compactLog(
      {
        store: this.store,
        config: this.config,
        segments: () => this.segments,
        replaceSegments: (first, count, seg) => {
          this.segments.splice(first, count, seg);
          this.readAhead = undefined;
        },
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
    return this.epochCache.slice();
  }

  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } | undefined {
    this.assertOpen();
    checkTimes({ epoch: epoch === -1 ? 0 : epoch });
    const cache = this.epochCache;
    let i = cache.length - 1;
    while (i >= 0 && cache[i]!.epoch > epoch) i--;
    if (i < 0) return undefined;
    const endOffset = i === cache.length - 1 ? this.logEndOffset : cache[i + 1]!.startOffset;
    return { epoch: cache[i]!.epoch, endOffset };
  }

  private writeEpochCheckpoint(): void {
    const lines = ['0', String(this.epochCache.length), ...this.epochCache.map((e) => `${e.epoch} ${e.startOffset}`)];
    this.store.writeAtomic(epochCheckpointFile, Buffer.from(`${lines.join('\n')}\n`));
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
    if (this.syncInFlight !== undefined) await this.syncInFlight.catch(() => {});
    await this.rollFlushes;
    if (this.closed) return; // abandoned meanwhile
    this.closed = true;
    if (this.intervalTimer) clearInterval(this.intervalTimer);
    try {
      if (this.storageError !== undefined) {
        for (const w of this.syncWaiters.splice(0)) w.reject(this.storageError);
        return;
      }
      for (const seg of this.segments) {
        if (seg.indexesDirty || seg === this.active) seg.writeIndexFiles(true);
        seg.file.syncNow();
      }
      this._flushedOffset = this.logEndOffset;
      for (const w of this.syncWaiters.splice(0)) w.resolve();
      this.store.writeAtomic(cleanShutdownFile, Buffer.from(`${this.logEndOffset}\n`));
    } finally {
      for (const seg of this.segments) seg.file.close();
      this.store.release();
    }
  }

  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    this.closing = true;
    if (this.intervalTimer) clearInterval(this.intervalTimer);
    for (const seg of this.segments) seg.file.close();
    const err = new TributaryError('CLIENT_CLOSED', 'the log was abandoned', this.context());
    for (const w of this.syncWaiters.splice(0)) w.reject(err);
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

/**
 * A partition log in memory: the same engine and contract as the file-backed
 * `PartitionLog`, with nothing durable. For tests and ephemeral clusters.
 *
 * @example
 * ```ts
 * import { MemoryLog, encodeBatch } from 'tributary-log';
 *
 * const log = new MemoryLog({ topic: 'scratch', partition: 0 });
 * await log.append(await encodeBatch([{ value: Buffer.from('hello') }]));
 * console.log(log.logEndOffset); // 1
 * ```
 */
export class MemoryLog extends PartitionLog {
  constructor(options: { topic: string; partition: number; config?: Partial<LogConfig>; clock?: Clock }) {
    checkLogOptions(options, 'a MemoryLog');
    super(options.topic, options.partition, new MemoryStore(), options.config, options.clock, undefined);
    this.load();
  }
}
