/**
 * `LogManager`: a broker's partition logs as storage, Kafka's `LogManager` in miniature.
 * It opens logs (through an injectable store, for fault-injection tests), makes them
 * durable under `flush always` (group commit), and keeps the replicas whose storage failed
 * offline.
 *
 * **Offline replicas** (Kafka's offline log directories; here each partition folder is
 * its own directory). A storage fault on one replica (EACCES or EPERM on a folder or a
 * file, EIO, a failed fsync, a damaged batch found by a read) must not take the process
 * down, nor the other partitions: the replica is dropped from the broker and listed
 * offline; requests for it are answered `KAFKA_STORAGE_ERROR`; the broker's heartbeat
 * names it (`offlineReplicas`), and the controller moves its leadership to a healthy ISR
 * member and takes it out of the ISR (`electionForOfflineReplica`). It stays offline until
 * the broker restarts, when it is opened again (the fault gone) and catches up as a
 * follower. A full disk (ENOSPC) is the one fault that does not take a replica offline:
 * the failed write left nothing behind (it is cut back), so the log is intact and takes
 * the next write once there is room; producers get `KAFKA_STORAGE_ERROR` saying the disk
 * is full.
 *
 * **A damaged batch** in a segment recovery trusted (below the recovery point, or after a
 * clean shutdown) is found by the first read that reaches it. The replica goes offline,
 * and its recovery point is reset so that the next open scans every segment: recovery cuts
 * the log at the first invalid batch (and drops the segments after it), the follower then
 * fetches the rest again from the leader. What was cut is reported (`reports`, and a
 * process warning). Kafka truncates at the first invalid batch only when it recovers after
 * an unclean shutdown; reading on past a damaged batch would serve records after a hole.
 * @internal
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Uuid } from '../metadata/uuid.js';
import { writeFileAtomic } from '../storage/atomic-file.js';
import { LogDirCheckpoints } from '../storage/log-dir-checkpoints.js';
import type { LogConfig } from '../storage/log.js';
import type { PartitionLog } from '../storage/partition-log.js';
import { FileStore, type Store } from '../storage/store.js';
import { TopicIdJournal } from '../storage/topic-id-journal.js';
import { startTimer, type Clock } from '../util/clock.js';
import { TributaryError, isTributaryError } from '../util/errors.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { openPartitionLogNow } from './log-loader.js';
import type { Partition } from './partition.js';

export interface LogManagerOptions {
  readonly dataDir: string;
  readonly nodeId: number;
  readonly clock: Clock;
  /** Opens a partition folder's store; default a `FileStore`. */
  readonly openStore?: (dir: string) => Store;
  /** Where recovery progress is logged (log-loader.ts). */
  readonly log?: Logger;
  /** How long a raised recovery point may wait to be written with the others (log-dir-checkpoints.ts). */
  readonly checkpointDelayMs?: number;
}

/** A replica whose storage failed. */
export interface OfflineReplica {
  readonly topic: string;
  readonly partition: number;
  readonly topicId: Uuid;
  readonly reason: string;
}

/** Something storage did that a user should hear of: a replica taken offline, records cut by recovery. */
export interface StorageReport {
  readonly topic: string;
  readonly partition: number;
  readonly message: string;
}

/** The most reports kept (the oldest are dropped first). */
export const storageReportsMax = 1000;

const key = (topic: string, partition: number): string => `${topic}-${partition}`;
/** The options of every partition folder's store (one object, not one a partition). */
const unlocked = Object.freeze({ lock: false });

/** The operating-system error code (`EACCES`, `ENOSPC`, ...) behind an error, following causes. */
export function errnoOf(err: unknown): string | undefined {
  for (let e = err, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
    const message = (e as Error).message;
    const m = typeof message === 'string' ? /\b(E(?:NOSPC|ACCES|PERM|IO|ROFS|DQUOT))\b/.exec(message) : null;
    if (m !== null) return m[1];
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Whether an error is a storage fault (an OS error, or the log's own KAFKA_STORAGE_ERROR), rather than a bug or a refusal. */
export function isStorageFault(err: unknown): boolean {
  if (isTributaryError(err)) return err.code === 'KAFKA_STORAGE_ERROR';
  return errnoOf(err) !== undefined;
}

/** Whether a storage fault is a full disk, which leaves the log intact. */
export function isDiskFull(errOrMessage: unknown): boolean {
  const errno = typeof errOrMessage === 'string' ? /\b(ENOSPC|EDQUOT)\b/.exec(errOrMessage)?.[1] : errnoOf(errOrMessage);
  return errno === 'ENOSPC' || errno === 'EDQUOT';
}

/** A storage fault as the message a client gets. */
export function storageFaultMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return isDiskFull(err) ? `the disk is full (${text}); the write was not made and can be retried once there is room` : text;
}

/**
 * The background check of what recovery trusted unchecked (below the recovery point, or
 * everything after a clean close): this many bytes a step, one step per this many ms. Why:
 * the broker's producer-state rebuild used to read (and so CRC-check) the whole log at
 * every open, which found a damaged batch at once but cost a 5 GiB log 20 s; with
 * producer-state snapshots the open reads only the tail, and this check finds the same
 * damage shortly after, off the open path (a 5 GiB log in about 10 s of 4 MiB steps).
 */
export const verifyStepBytes = 4 * 1024 * 1024;
export const verifyStepPauseMs = 5;

/** What `afterLeaderAppend` says of an append that succeeded (shared, read only). */
const appendedOk: { readonly message?: string; readonly offline: boolean } = Object.freeze({ offline: false });

export class LogManager {
  /** Told when the background check finds a replica's storage damaged (the replica manager takes it offline). */
  onStorageFault: ((topic: string, partition: number, err: unknown) => void) | undefined;
  private readonly offline = new Map<string, OfflineReplica>();
  /** Replicas whose last write failed on a full disk: a later out-of-sequence answer is the disk's fault. */
  private readonly diskFull = new Set<string>();
  readonly reports: StorageReport[] = [];
  /** The recovery points, log start offsets and clean-shutdown marker of every log in the data folder. */
  private readonly checkpoints: LogDirCheckpoints;
  /** The logs open now, by topic-partition: this manager opens, reconfigures, closes and abandons them. */
  private readonly logs = new Map<string, PartitionLog>();
  /** The topic id each partition folder holds, one journal for the data folder (topic-id-journal.ts). */
  private readonly topicIds: TopicIdJournal;
  /**
   * Names of the partition folders that may exist: the data folder's listing at the first
   * question, plus every folder a log opened since (an open makes its folder). A name
   * missing here has no folder, so a new partition costs no file-system call to learn
   * that; a name present is checked on disk (the folder may have gone since). Before, the
   * replica manager and the log loader each asked the file system (`access`) about every
   * new partition: 20,000 calls for a topic of 10,000.
   */
  private folders: Set<string> | undefined;

  /**
   * Opens a partition's folder: without a store of the tests' own, no lock per partition
   * (the Cluster locks the data folder), and no file until the first record. One function
   * for every open, not a closure each.
   */
  private readonly openStore: (dir: string) => Store;

  constructor(private readonly options: LogManagerOptions) {
    this.openStore = options.openStore ?? ((dir: string) => new FileStore(dir, unlocked));
    this.topicIds = TopicIdJournal.open(options.dataDir);
    this.checkpoints = LogDirCheckpoints.open(options.dataDir, options.checkpointDelayMs, options.clock, this.topicIds);
  }

  /** Whether a partition's folder exists in the data folder (see `folders`). */
  hasFolder(topic: string, partition: number): boolean {
    if (this.folders === undefined) {
      let names: string[] = [];
      try {
        names = readdirSync(this.options.dataDir);
      } catch {
        // No data folder yet: no partition folder either.
      }
      this.folders = new Set(names);
    }
    return this.folders.has(key(topic, partition)) && existsSync(join(this.options.dataDir, key(topic, partition)));
  }

  /** The open log of a partition, if any. */
  get(topic: string, partition: number): PartitionLog | undefined {
    return this.logs.get(key(topic, partition));
  }

  /** Applies changed topic configs to the open logs of `topic`; a value a log refuses keeps the old one. */
  updateConfig(topic: string, config: Partial<LogConfig>): void {
    for (const log of this.logs.values()) {
      if (log.topic !== topic) continue;
      try {
        log.updateConfig(config);
      } catch {
        // The controller validated it already.
      }
    }
  }

  /** Closes a partition's log (flush, clean-shutdown marker) and forgets it. */
  async close(topic: string, partition: number): Promise<void> {
    const log = this.logs.get(key(topic, partition));
    if (log === undefined) return;
    this.logs.delete(key(topic, partition));
    await log.close().catch(() => {});
  }

  /** Drops a partition's log as a crash would (no flush, no marker) and forgets it. */
  abandon(topic: string, partition: number): void {
    const log = this.logs.get(key(topic, partition));
    this.logs.delete(key(topic, partition));
    log?.abandon();
  }

  /** Closes every open log (a clean shutdown). */
  async closeAll(): Promise<void> {
    const logs = [...this.logs.values()];
    this.logs.clear();
    await Promise.all(logs.map((log) => log.close().catch(() => {})));
    // Then the data folder's checkpoints and its clean-shutdown marker (log-dir-checkpoints.ts),
    // the topic-id journal synced first.
    try {
      this.topicIds.close();
      this.checkpoints.close();
    } catch (err) {
      // No marker: the next start recovers from the recovery points, which is safe.
      this.options.log?.warn({ nodeId: this.options.nodeId, err }, `node ${this.options.nodeId}: could not write the clean-shutdown checkpoints: ${String(err)}`);
    }
  }

  /** Drops every open log as a crash would. */
  abandonAll(): void {
    for (const log of this.logs.values()) log.abandon();
    this.logs.clear();
    this.checkpoints.abandon(); // a crash writes no more checkpoints
    this.topicIds.abandon();
  }

  /**
   * Opens a replica's log; what recovery cut is reported. With `topicId`, the topic id the
   * folder holds is checked first (Kafka's `partition.metadata`, kept here for all folders
   * in one journal, `topic-id-journal.ts`): a folder left by a deleted topic of the same
   * name (deleted while this node was down) is removed, not taken for the new topic's.
   * The folder's topic id is recorded before the log opens, so before its first file.
   */
  async open(topic: string, partition: number, config: Partial<LogConfig>, topicId?: Uuid): Promise<PartitionLog> {
    return this.openNow(topic, partition, config, topicId);
  }

  /** `open`, synchronously (the replica manager's opens: see `ReplicaManager.openReplicaNow`). */
  openNow(topic: string, partition: number, config: Partial<LogConfig>, topicId?: Uuid): PartitionLog {
    const id = topicId === undefined ? undefined : String(topicId);
    if (id !== undefined) {
      // After a clean shutdown the marker names the topic id; else the journal (which took
      // over, when it was created, the partition.metadata of folders from before it).
      const cleanId = this.checkpoints.cleanTopicId(topic, partition);
      const recorded = cleanId === id ? cleanId : this.topicIds.get(topic, partition);
      if (recorded !== undefined && recorded !== id) {
        rmSync(join(this.options.dataDir, key(topic, partition)), { recursive: true, force: true });
        this.checkpoints.forget(topic, partition);
        this.topicIds.forget(topic, partition);
      }
      this.topicIds.record(topic, partition, id);
    }
    const folderKnown = this.hasFolder(topic, partition);
    const checkpoints = this.checkpoints;
    const peeked = checkpoints.peek(topic, partition);
    const log = openPartitionLogNow(
      { dataDir: this.options.dataDir, topic, partition, config, clock: this.options.clock, openStore: this.openStore, checkpoints: (store) => checkpoints.forLog(topic, partition, store) },
      this.options.nodeId,
      this.options.log ?? silentLogger,
      undefined,
      peeked === undefined ? { folderKnown } : { ...peeked, folderKnown },
    );
    const k = key(topic, partition);
    this.folders?.add(k);
    this.logs.set(k, log);
    if (id !== undefined) checkpoints.noteTopicId(topic, partition, id);
    this.verifyInBackground(topic, partition, log);
    const r = log.recovery;
    if (r.cleanShutdownDistrusted !== undefined) this.report(topic, partition, `${r.cleanShutdownDistrusted}: changed since its clean shutdown, so every segment was scanned`);
    if (r.bytesTruncated > 0 || r.segmentsDeleted > 0) {
      this.report(topic, partition, `recovery cut ${r.bytesTruncated} byte(s) and ${r.segmentsDeleted} later segment(s) at the first invalid batch (${r.truncatedBecause ?? 'no reason given'}); the log now ends at offset ${log.logEndOffset}`);
    }
    return log;
  }

  /** Kafka's `cleanupLogs`: retention and compaction of each replica's log, up to its high watermark. */
  async cleanupLogs(replicas: readonly Partition[], now: number): Promise<void> {
    for (const replica of replicas) {
      const log = replica.log;
      try {
        if (log.config.cleanupPolicy.includes('delete')) await log.enforceRetention(now, replica.highWatermark);
        if (log.config.cleanupPolicy.includes('compact')) await log.compact(now, replica.highWatermark);
      } catch {
        // A log taken offline reports itself on its next read or write.
      }
    }
  }

  isOffline(topic: string, partition: number): boolean {
    return this.offline.size > 0 && this.offline.has(key(topic, partition)); // no key made per produce while none is
  }

  /** The replicas offline, for the broker heartbeat. */
  offlineReplicas(): { topicId: Uuid; partitionIndex: number }[] {
    return [...this.offline.values()].map((o) => ({ topicId: o.topicId, partitionIndex: o.partition }));
  }

  /** Offline replicas with their reasons. */
  describeOffline(): OfflineReplica[] {
    return [...this.offline.values()];
  }

  /**
   * Takes a replica offline after a storage fault; its log (if it was open) is dropped as a
   * crash would drop it. A damaged batch resets the recovery point, so the next open scans
   * the whole log and cuts it there.
   */
  markOffline(topic: string, partition: number, topicId: Uuid, err: unknown): void {
    const k = key(topic, partition);
    if (this.offline.has(k)) return;
    const reason = err instanceof Error ? err.message : String(err);
    this.offline.set(k, { topic, partition, topicId, reason });
    this.diskFull.delete(k);
    this.abandon(topic, partition);
    if (/damaged|invalid|corrupt|crc/i.test(reason) && errnoOf(err) === undefined) this.scanOnNextOpen(topic, partition);
    this.report(topic, partition, `replica offline on broker ${this.options.nodeId} until restart: ${reason}`);
  }

  /**
   * The outcome of a leader append, seen by storage: a full disk is remembered (and named
   * in the message), a later OUT_OF_ORDER_SEQUENCE_NUMBER while it lasts is the disk's
   * fault and says so, a success clears it. Returns the error to answer, if any, and
   * whether the replica must go offline.
   */
  afterLeaderAppend(topic: string, partition: number, errorCode: string, message: string | undefined): { message?: string; offline: boolean } {
    if (errorCode === 'NONE') {
      if (this.diskFull.size > 0) this.diskFull.delete(key(topic, partition));
      return appendedOk; // every produce's every partition: no key and no object
    }
    const k = key(topic, partition);
    if (errorCode === 'KAFKA_STORAGE_ERROR') {
      if (isDiskFull(message ?? '')) {
        this.diskFull.add(k);
        return { message: storageFaultMessage(new Error(message)), offline: false };
      }
      return { ...(message !== undefined ? { message } : {}), offline: true };
    }
    if (errorCode === 'OUT_OF_ORDER_SEQUENCE_NUMBER' && this.diskFull.has(k)) {
      return { message: `an earlier batch of this producer could not be written because the disk is full (ENOSPC); ${message ?? ''}`, offline: false };
    }
    return { ...(message !== undefined ? { message } : {}), offline: false };
  }

  /**
   * Makes what `replica` has appended durable (fdatasync; concurrent calls share one:
   * the log's group commit), then tells the replica, which may move its high watermark
   * (a leader) or fetch again (a follower). Rejects with KAFKA_STORAGE_ERROR if the sync
   * failed.
   */
  async flush(replica: Partition): Promise<void> {
    const point = replica.flushPoint();
    // A new partition's topic id is as durable as its first acknowledged record.
    if (this.topicIds.unsynced) await Promise.all([this.topicIds.sync(), replica.log.sync()]);
    else await replica.log.sync();
    replica.markFlushed(point);
  }

  /** `flush` for several replicas, every sync started at once; how each ended, in order. */
  flushAll(replicas: readonly Partition[]): Promise<PromiseSettledResult<void>[]> {
    return Promise.allSettled(replicas.map((r) => this.flush(r)));
  }

  /** CRC-checks what recovery trusted unchecked, a step at a time, while the log stays open here. */
  private verifyInBackground(topic: string, partition: number, log: PartitionLog): void {
    const step = (): void => {
      if (this.logs.get(key(topic, partition)) !== log) return; // closed, abandoned or reopened
      let more: boolean;
      try {
        more = log.verifyUnchecked(verifyStepBytes);
      } catch (err) {
        if (isStorageFault(err)) this.onStorageFault?.(topic, partition, err);
        return;
      }
      if (more) startTimer(this.options.clock, verifyStepPauseMs, step, true);
    };
    // A log with nothing unchecked (a new partition, or one recovery scanned whole) gets no
    // timer: 10,000 new partitions were 10,000 timers, each firing once to find nothing.
    if (!log.verifyUnchecked(0)) return;
    startTimer(this.options.clock, verifyStepPauseMs, step, true);
  }

  private scanOnNextOpen(topic: string, partition: number): void {
    try {
      this.checkpoints.requestScan(topic, partition);
    } catch {
      // The folder's own files below still say so.
    }
    const dir = join(this.options.dataDir, key(topic, partition));
    try {
      rmSync(join(dir, '.kafka_cleanshutdown'), { force: true });
      writeFileAtomic(dir, 'recovery-point-offset-checkpoint', '0\n');
    } catch {
      // The folder itself is failing: the next open reports what it finds.
    }
  }

  private report(topic: string, partition: number, message: string): void {
    this.reports.push({ topic, partition, message });
    if (this.reports.length > storageReportsMax) this.reports.shift();
    process.emitWarning(`${topic}-${partition}: ${message}`, { code: 'TRIBUTARY_STORAGE' });
  }
}

/** A typed KAFKA_STORAGE_ERROR for a fault that reached the broker as an OS error. */
export function asStorageFault(err: unknown, topic: string, partition: number): TributaryError {
  if (isTributaryError(err)) return err;
  return new TributaryError('KAFKA_STORAGE_ERROR', storageFaultMessage(err), { topic, partition, cause: err });
}
