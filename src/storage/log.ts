/**
 * The contract of a partition log, implemented by `PartitionLog` (segment files) and
 * `MemoryLog` (in memory, for tests and ephemeral use). One contract suite
 * (`log-contract.ts`) runs against both.
 *
 * Concurrency and ordering: a log is used from one thread. Writes (`write`, `append`,
 * `truncateTo`, `deleteRecords`...) take effect synchronously, in call order, before the
 * method returns: offsets are assigned and the bytes are readable at once. Only
 * durability is asynchronous: `append` resolves when the flush policy says the bytes are
 * durable, and `sync()` forces it. This keeps every read consistent with every write
 * (no interleaving inside an await) while fsync runs off the main thread, where appends
 * that arrive meanwhile share the next fdatasync (group commit).
 *
 * Offsets are JavaScript numbers (safe integers). Reads return stored bytes as they are:
 * whole v2 record batches, never re-encoded.
 */
import type { TimestampType } from '../record/batch.js';
import type { LeaderEpochCache } from './core/leader-epoch-cache.js';

/**
 * When a log makes appended bytes durable.
 *
 * @example
 * ```ts
 * import { PartitionLog, encodeBatch, type FlushPolicy } from 'tributary-log';
 *
 * // Every append resolves only once fdatasync covers it: no acknowledged write is lost to a power cut.
 * const flushPolicy: FlushPolicy = 'always';
 * const log = await PartitionLog.open({ dataDir: '/tmp/tributary-example', topic: 'payments', partition: 0, config: { flushPolicy } });
 * await log.append(await encodeBatch([{ value: Buffer.from('paid') }]));
 * console.log(log.flushedOffset === log.logEndOffset); // true
 * await log.close();
 * ```
 */
export type FlushPolicy =
  /** `append` resolves only after fdatasync covers the batch; concurrent appends share one sync. */
  | 'always'
  /** fdatasync every `flushIntervalMs`; `append` resolves once the bytes are written (survives a process crash, not a power loss, for up to the interval). */
  | 'interval'
  /** Never fsync on the write path (the OS writes back): survives a process crash, not a power loss. Segments are synced at roll and close. */
  | 'os';

/**
 * `cleanup.policy`: delete old segments, compact by key, or both.
 *
 * @example
 * ```ts
 * import { MemoryLog, type CleanupPolicy } from 'tributary-log';
 *
 * // Keep the latest value of every key (a changelog), and drop records older than 30 days.
 * const cleanupPolicy: CleanupPolicy = 'compact,delete';
 * const log = new MemoryLog({ topic: 'user-profiles', partition: 0, config: { cleanupPolicy, retentionMs: 30 * 24 * 60 * 60 * 1000 } });
 * console.log(log.config.cleanupPolicy); // compact,delete
 * ```
 */
export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete';

/**
 * A log's configuration, with Kafka's topic config names in camelCase.
 *
 * @example
 * ```ts
 * import { PartitionLog, type LogConfig } from 'tributary-log';
 *
 * const config: Partial<LogConfig> = { segmentBytes: 16 * 1024 * 1024, retentionBytes: 1024 * 1024 * 1024, maxMessageBytes: 4 * 1024 * 1024 };
 * const log = await PartitionLog.open({ dataDir: '/tmp/tributary-example', topic: 'metrics', partition: 0, config });
 * console.log(log.config.segmentBytes, log.config.cleanupPolicy); // 16777216 delete
 * await log.close();
 * ```
 */
export interface LogConfig {
  /** `segment.bytes`: roll when a segment would grow past this. Default 1 GiB. */
  readonly segmentBytes: number;
  /** `segment.ms`: roll a non-empty segment older than this (from its first batch's timestamp). Default 7 days. */
  readonly segmentMs: number;
  /** `index.interval.bytes`: bytes between sparse index entries. Default 4096. */
  readonly indexIntervalBytes: number;
  /** `segment.index.bytes`: the most bytes an index file may take; the segment rolls when full. Default 10 MiB. */
  readonly segmentIndexBytes: number;
  /** `retention.ms`: delete segments whose newest record is older; -1 keeps forever. Default 7 days. */
  readonly retentionMs: number;
  /** `retention.bytes`: delete oldest segments while the log is larger; -1 for no limit. Default -1. */
  readonly retentionBytes: number;
  /** `max.message.bytes`: the largest batch accepted. Default 1,048,588 (1 MiB + 12, Kafka's). */
  readonly maxMessageBytes: number;
  /** `cleanup.policy`. Default `delete`. */
  readonly cleanupPolicy: CleanupPolicy;
  /** `delete.retention.ms`: how long a tombstone survives compaction. Default 1 day. */
  readonly deleteRetentionMs: number;
  /** `min.compaction.lag.ms`: records younger than this are not compacted. Default 0. */
  readonly minCompactionLagMs: number;
  /** `min.cleanable.dirty.ratio`: compact when dirty bytes / total bytes reach this. Default 0.5. */
  readonly minCleanableDirtyRatio: number;
  /** `message.timestamp.type`. Default `CreateTime`. */
  readonly messageTimestampType: TimestampType;
  /**
   * `message.timestamp.before.max.ms` and `message.timestamp.after.max.ms`: how far before
   * and after the broker's clock a CreateTime record's timestamp may be. A cluster's
   * partition leader refuses a produce outside them with `INVALID_TIMESTAMP`; a log used on
   * its own does not check them (its `write` takes batches from its caller, not a
   * producer). Default unbounded (`Number.MAX_SAFE_INTEGER`); a topic's default comes from
   * the cluster (`after` 1 hour, Kafka 4.0).
   */
  readonly messageTimestampBeforeMaxMs: number;
  readonly messageTimestampAfterMaxMs: number;
  /**
   * `compression.type`: only `producer` (keep the codec each batch was written in), the
   * default; any other value is refused with `INVALID_CONFIG`. In a cluster a topic's
   * `compression.type` (`uncompressed`, `gzip`, `snappy`, `lz4`, `zstd`) is applied by the
   * partition leader before the append (docs/design/storage.md); a `PartitionLog` or
   * `MemoryLog` used on its own stores batches as given, so encode them in the codec you
   * want (`encodeBatch(records, { compression })`).
   */
  readonly compressionType: 'producer';
  /** The flush policy. Default `os` (see docs/design/durability.md for why). */
  readonly flushPolicy: FlushPolicy;
  /** For `flushPolicy: 'interval'`: milliseconds between fsyncs. Default 1000. */
  readonly flushIntervalMs: number;
}

/**
 * What `write`/`append` did.
 *
 * @example
 * ```ts
 * import { MemoryLog, encodeBatch, type LogAppendInfo } from 'tributary-log';
 *
 * const log = new MemoryLog({ topic: 'orders', partition: 0 });
 * log.write(await encodeBatch([{ value: Buffer.from('a') }]));
 * const info: LogAppendInfo = log.write(await encodeBatch([{ value: Buffer.from('b') }, { value: Buffer.from('c') }]));
 * console.log(info.firstOffset, info.lastOffset, info.recordCount); // 1 2 2
 * ```
 */
export interface LogAppendInfo {
  /** Offset of the first record appended. */
  readonly firstOffset: number;
  /** Offset of the last record appended. */
  readonly lastOffset: number;
  /** The broker timestamp stamped on the batches if the log uses LogAppendTime, else -1. */
  readonly logAppendTime: number;
  /** Log start offset after the append. */
  readonly logStartOffset: number;
  /** Records appended (sum of the batches' record counts). */
  readonly recordCount: number;
  /** Batches appended. */
  readonly batchCount: number;
}

/**
 * Options for `write` and `append`.
 *
 * @example
 * ```ts
 * import { MemoryLog, encodeBatch, type AppendOptions } from 'tributary-log';
 *
 * const log = new MemoryLog({ topic: 'orders', partition: 0 });
 * // A leader in epoch 4 appends: the log assigns offsets and remembers where epoch 4 began.
 * const options: AppendOptions = { leaderEpoch: 4 };
 * log.write(await encodeBatch([{ value: Buffer.from('a') }]), options);
 * console.log(log.epochs()); // [ { epoch: 4, startOffset: 0 } ]
 * // A follower copies the leader's batches with their offsets unchanged.
 * const follower = new MemoryLog({ topic: 'orders', partition: 0 });
 * follower.write(log.read(0).records, { assignOffsets: false });
 * console.log(follower.logEndOffset); // 1
 * ```
 */
export interface AppendOptions {
  /**
   * `true` (a leader's append, the default): the log assigns offsets, rewriting each
   * batch's base offset to continue from the log end offset. `false` (a follower or Raft
   * replica): the batches keep their offsets, which must start exactly at the log end
   * offset and increase.
   */
  readonly assignOffsets?: boolean;
  /** Stamped as each batch's partition leader epoch when assigning offsets; remembered in the epoch cache. */
  readonly leaderEpoch?: number;
  /** The broker's clock for LogAppendTime and segment age; defaults to the log's clock. */
  readonly now?: number;
  /**
   * @internal The caller has just checked these exact bytes with `checkBatch`, CRC
   * included, so the log checks their structure but does not compute the CRC again: a
   * third of an append's CPU. (A partition no longer needs it: it checks once with
   * `validateBatches` and calls `PartitionLog.appendValidated`.)
   */
  readonly crcVerified?: boolean;
}

/**
 * Options for `read`.
 *
 * @example
 * ```ts
 * import { MemoryLog, encodeBatch, type ReadOptions } from 'tributary-log';
 *
 * const log = new MemoryLog({ topic: 'orders', partition: 0 });
 * for (let i = 0; i < 10; i++) log.write(await encodeBatch([{ value: Buffer.from(`order ${i}`) }]));
 * // Read what a consumer may see (below a high watermark of 5), 64 KiB at most, into a reused buffer.
 * const scratch = Buffer.alloc(64 * 1024);
 * const options: ReadOptions = { maxOffset: 5, maxBytes: 64 * 1024, into: scratch };
 * const { records } = log.read(0, options);
 * console.log(records.length > 0); // true
 * ```
 */
export interface ReadOptions {
  /** Stop before the batch whose bytes would pass this many; at least one batch is returned even if larger (KIP-74). Default 1 MiB. */
  readonly maxBytes?: number;
  /** Return only batches whose last offset is below this (a leader reads below the high watermark). Default: the log end offset. */
  readonly maxOffset?: number;
  /**
   * A buffer to read into, reused by the caller from one read to the next; the result is
   * then a view of it, valid until the caller reuses it, and `maxBytes` is at most its
   * length (a larger first batch is still returned, in a fresh buffer). Why: a fresh
   * buffer per read costs a page fault per 4 KiB (reads ran at 1 to 4 GB/s here with a
   * new 1 MiB buffer each time, 21 GB/s into a reused one).
   */
  readonly into?: Buffer;
}

/**
 * What `read` returns.
 *
 * @example
 * ```ts
 * import { MemoryLog, decodeBatches, encodeBatch, type LogReadResult } from 'tributary-log';
 *
 * const log = new MemoryLog({ topic: 'orders', partition: 0 });
 * log.write(await encodeBatch([{ value: Buffer.from('a') }, { value: Buffer.from('b') }]));
 * const result: LogReadResult = log.read(1);
 * // The batch holding offset 1 starts at offset 0: skip the records below the offset asked for.
 * const records = (await decodeBatches(result.records)).filter((r) => r.offset >= 1);
 * console.log(records.length, result.logEndOffset); // 1 2
 * ```
 */
export interface LogReadResult {
  /**
   * Whole batches, concatenated, as stored. The first batch contains the requested offset
   * (it may begin before it: a reader skips records below the offset it asked for). Empty
   * when the offset is at the log end offset or at `maxOffset`.
   */
  readonly records: Uint8Array;
  /** The log's start and end offsets when the read ran. */
  readonly logStartOffset: number;
  /** The log end offset when the read ran. */
  readonly logEndOffset: number;
}

/**
 * The epoch that started at an offset: one entry of the leader epoch cache (KIP-101).
 *
 * @example
 * ```ts
 * import { MemoryLog, encodeBatch, type EpochEntry } from 'tributary-log';
 *
 * const log = new MemoryLog({ topic: 'orders', partition: 0 });
 * log.write(await encodeBatch([{ value: Buffer.from('a') }, { value: Buffer.from('b') }]), { leaderEpoch: 1 });
 * log.write(await encodeBatch([{ value: Buffer.from('c') }]), { leaderEpoch: 2 });
 * const entries: readonly EpochEntry[] = log.epochs();
 * console.log(entries.map((e) => `${e.epoch}@${e.startOffset}`)); // [ '1@0', '2@2' ]
 * ```
 */
export interface EpochEntry {
  /** A leader epoch. */
  readonly epoch: number;
  /** The offset of the first batch written in that epoch. */
  readonly startOffset: number;
}

/**
 * What recovery on open found and did, for logs and tests.
 *
 * @example
 * ```ts
 * import { PartitionLog, type RecoveryReport } from 'tributary-log';
 *
 * const log = await PartitionLog.open({ dataDir: '/tmp/tributary-example', topic: 'orders', partition: 0 });
 * const report: RecoveryReport = log.recovery;
 * if (!report.clean) console.log(`scanned ${report.batchesScanned} batches, cut ${report.bytesTruncated} bytes`, report.truncatedBecause);
 * await log.close();
 * ```
 */
export interface RecoveryReport {
  /** True when the clean-shutdown marker let recovery skip the scan. */
  readonly clean: boolean;
  /** Segments read batch by batch. */
  readonly segmentsScanned: number;
  /** Batches checked by the scan. */
  readonly batchesScanned: number;
  /** Bytes of the segments the scan read (the ones past the recovery point, after any cut). */
  readonly bytesScanned: number;
  /** Bytes cut off a torn or corrupted tail. */
  readonly bytesTruncated: number;
  /** Why the tail was cut, if it was. */
  readonly truncatedBecause?: string;
  /** Index files rebuilt because they were missing or disagreed with the log. */
  readonly indexesRebuilt: number;
  /** Whole segments removed because they lay after the point where the log was cut. */
  readonly segmentsDeleted: number;
  /** What was done with files an interrupted operation left (temporary files, compaction's `.cleaned`/`.swap`), one line each. */
  readonly leftovers: readonly string[];
  /**
   * Set when the clean-shutdown checkpoint disagreed with the files (the log was changed
   * behind the library's back after a clean close: a segment deleted, appended to or
   * added): why; every segment was then scanned, as after a crash.
   */
  readonly cleanShutdownDistrusted?: string;
  /** How long opening took. */
  readonly durationMs: number;
}

/**
 * The contract of a partition log; see the top of this file for the ordering and
 * durability rules. `PartitionLog` (files) and `MemoryLog` (memory) implement it.
 *
 * @example
 * ```ts
 * import { MemoryLog, PartitionLog, encodeBatch, type Log } from 'tributary-log';
 *
 * async function appendText(log: Log, text: string): Promise<number> {
 *   const info = await log.append(await encodeBatch([{ value: Buffer.from(text) }]));
 *   return info.firstOffset;
 * }
 * const onDisk: Log = await PartitionLog.open({ dataDir: '/tmp/tributary-example', topic: 'orders', partition: 0 });
 * const inMemory: Log = new MemoryLog({ topic: 'orders', partition: 0 });
 * await appendText(onDisk, 'hello');
 * console.log(await appendText(inMemory, 'hello')); // 0
 * await onDisk.close();
 * ```
 */
export interface Log {
  /** The topic and partition this log stores. */
  readonly topic: string;
  readonly partition: number;
  /**
   * The leader epoch history (KIP-101) and its checkpoint file: the log assigns each
   * batch's epoch as it writes it; a replica assigns a new leader's epoch at the log end
   * and reads it to answer OffsetForLeaderEpoch and to find where a follower diverged.
   * One object per replica: nothing else keeps a copy. @internal
   */
  readonly leaderEpochCache: LeaderEpochCache;
  /** First offset that can be read. */
  readonly logStartOffset: number;
  /** The offset the next record will get. */
  readonly logEndOffset: number;
  /** Everything below this offset is known durable (fsynced). */
  readonly flushedOffset: number;
  /** Total bytes of all segments. */
  readonly sizeInBytes: number;
  /** The log's configuration, defaults filled in. */
  readonly config: LogConfig;

  /**
   * Writes one or more concatenated v2 batches. Checks each batch (CRC, magic, lengths;
   * `CORRUPT_MESSAGE`), refuses any batch over `maxMessageBytes` (`MESSAGE_TOO_LARGE`),
   * and on a follower append refuses offsets that do not continue the log
   * (`INVALID_REQUEST`). Nothing is written unless every batch passes. The caller's
   * buffer is copied; the caller may reuse it. Synchronous; returns before durability.
   */
  write(batches: Uint8Array, options?: AppendOptions): LogAppendInfo;
  /** `write`, then wait as the flush policy says. */
  append(batches: Uint8Array, options?: AppendOptions): Promise<LogAppendInfo>;
  /** Reads whole batches from `offset`. `OFFSET_OUT_OF_RANGE` below the log start or above the log end. */
  read(offset: number, options?: ReadOptions): LogReadResult;
  /**
   * The earliest offset whose timestamp is >= `timestamp` (the time index), or undefined if
   * none is; `'max'`: the earliest offset holding the log's largest timestamp (Kafka's
   * MAX_TIMESTAMP, KIP-734), undefined for an empty log.
   */
  offsetForTimestamp(timestamp: number | 'max'): Promise<{ offset: number; timestamp: number } | undefined>;
  /** Makes everything written so far durable (fdatasync), whatever the policy. Concurrent calls share a sync. */
  sync(): Promise<void>;
  /** Removes every record at or above `offset` (a follower truncating a divergent tail). Never below the log start. */
  truncateTo(offset: number): void;
  /** Empties the log and restarts it at `offset` (a replica installing a snapshot). */
  truncateFullyAndStartAt(offset: number): void;
  /** Raises the log start offset (DeleteRecords), durably; deletes segments wholly below it. Returns the new log start. */
  deleteRecords(offset: number): Promise<number>;
  /** Deletes whole segments past `retention.ms`/`retention.bytes` (never the active one, never at or above `upTo`). Returns segments deleted. */
  enforceRetention(now?: number, upTo?: number): Promise<number>;
  /**
   * Compacts the inactive segments wholly below `upTo` (the high watermark; default the
   * log end) if the policy has `compact`: a replica may yet truncate above the high
   * watermark, and a clean there could have dropped the older value of a key whose newer
   * one the truncation then removes. Returns whether anything was cleaned.
   */
  compact(now?: number, upTo?: number): Promise<boolean>;
  /** The leader epoch cache: each epoch and the offset its first batch got. */
  epochs(): readonly EpochEntry[];
  /**
   * KIP-101's OffsetsForLeaderEpoch, as Kafka's `UnifiedLog.endOffsetForEpoch`: the end offset of
   * `epoch` (the start of the next larger epoch, or the log end for the latest) with the largest
   * epoch <= the one asked for; for an epoch below the earliest known, that epoch and the
   * earliest's start; undefined for -1, an empty cache, or an epoch past the latest.
   */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } | undefined;
  /** Flushes, writes the clean-shutdown marker and releases the folder lock. */
  close(): Promise<void>;
  /** Closes without flushing or marking clean: what a crash leaves (for tests of recovery). */
  abandon(): void;
}

/**
 * Kafka's defaults for a topic's log, except `flushPolicy` (see docs/design/durability.md).
 *
 * @example
 * ```ts
 * import { MemoryLog, defaultLogConfig } from 'tributary-log';
 *
 * console.log(defaultLogConfig.segmentBytes, defaultLogConfig.flushPolicy); // 1073741824 os
 * const log = new MemoryLog({ topic: 'orders', partition: 0, config: { retentionMs: defaultLogConfig.retentionMs * 2 } });
 * console.log(log.config.retentionMs); // 1209600000
 * ```
 */
export const defaultLogConfig: LogConfig = Object.freeze({
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 60 * 60 * 1000,
  indexIntervalBytes: 4096,
  segmentIndexBytes: 10 * 1024 * 1024,
  retentionMs: 7 * 24 * 60 * 60 * 1000,
  retentionBytes: -1,
  maxMessageBytes: 1024 * 1024 + 12,
  cleanupPolicy: 'delete',
  deleteRetentionMs: 24 * 60 * 60 * 1000,
  minCompactionLagMs: 0,
  minCleanableDirtyRatio: 0.5,
  messageTimestampType: 'CreateTime',
  messageTimestampBeforeMaxMs: Number.MAX_SAFE_INTEGER,
  messageTimestampAfterMaxMs: Number.MAX_SAFE_INTEGER,
  compressionType: 'producer',
  flushPolicy: 'os',
  flushIntervalMs: 1000,
});
