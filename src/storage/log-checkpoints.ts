/**
 * Where a log keeps the small facts that outlive it: the clean-shutdown marker, the
 * recovery point and the log start offset. Kafka keeps them per log directory, in one
 * file each for all the logs in it (`recovery-point-offset-checkpoint`,
 * `log-start-offset-checkpoint`, `.kafka_cleanshutdown`), owned by the `LogManager`; a
 * log opened on its own (`PartitionLog.open` without a manager) keeps them in its own
 * folder, in files of the same names (`FolderCheckpoints`). The log does not care which.
 * @internal
 */
import { readNumberFile, writeNumberFile } from './log-checks.js';
import type { EpochEntry } from './log.js';
import type { Store } from './store.js';

/** Present only between a clean `close()` and the first change after the next open. */
export const cleanShutdownFile = '.kafka_cleanshutdown';
export const logStartCheckpointFile = 'log-start-offset-checkpoint';
/** Every segment that ends at or below this offset is fsynced, with its index files. */
export const recoveryPointFile = 'recovery-point-offset-checkpoint';

/** The files of a log at its clean close: its segments' and producer-state snapshots' base offsets. */
export interface CleanFiles {
  readonly segments: readonly number[];
  readonly snapshots: readonly number[];
}

/** What the previous run left for one log. */
export interface CheckpointedState {
  /** The log was closed cleanly and not changed since: every segment can be trusted. */
  readonly clean: boolean;
  /**
   * Where the log ended at that clean close, if the marker says (markers written before
   * issue 13 do not). Recovery checks the files against it: a log that ends elsewhere was
   * changed behind our back (a segment deleted, appended to or added), and is scanned.
   */
  readonly cleanLogEndOffset?: number;
  /** The leader epoch history at that clean close, if the checkpoints keep it (a broker's data folder does): the epoch file need not be read. */
  readonly cleanEpochs?: readonly EpochEntry[];
  /**
   * How many leading entries of `cleanEpochs` the epoch file holds (the rest start past
   * the recovery point, and the file was left behind at the clean close); undefined: all.
   */
  readonly cleanEpochsInFile?: number;
  readonly recoveryPoint: number | undefined;
  readonly logStartOffset: number | undefined;
  /** Whether anything at all is recorded for the log (a new partition has nothing). */
  readonly known: boolean;
}

/**
 * The contract. Ordering: `removeCleanMarker` is durable before it returns (it precedes
 * the first change to the log's files); `writeLogStartOffset` too (segments below it are
 * deleted after it returns); `writeRecoveryPoint` with `lowered` too (segments below the
 * old point are about to change). A raised recovery point may reach the disk later: a
 * stale one only makes recovery scan more.
 */
export interface LogCheckpoints {
  /** `listed`: the folder's file names, if the caller has just listed it. */
  read(listed?: readonly string[]): CheckpointedState;
  removeCleanMarker(): void;
  writeRecoveryPoint(offset: number, lowered: boolean): void;
  writeLogStartOffset(offset: number): void;
  /**
   * Everything is durable and the log is closing: the next open trusts every segment.
   * `epochsInFile`: how many leading entries of `epochs` the epoch file holds, if fewer
   * (only checkpoints that `keepEpochs` are told so).
   */
  markCleanShutdown(logEndOffset: number, recoveryPoint: number, epochs: readonly EpochEntry[], files: CleanFiles, epochsInFile?: number): void;
  /** The checkpoints carry a clean log's epoch history, so the close may leave the epoch file behind (`LeaderEpochFileCache.mayStayBehindPast`). */
  readonly keepEpochs?: boolean;
  /**
   * The names of the segment and snapshot files a clean log had when it closed, if the
   * checkpoints keep them (a broker's data folder does): the loader then need not list the
   * folder. Undefined for a log not known clean.
   */
  cleanFileNames?(): string[] | undefined;
}

/** The checkpoints of a log in files of its own folder (a log opened without a `LogManager`). */
export class FolderCheckpoints implements LogCheckpoints {
  constructor(private readonly store: Store) {}

  read(listed?: readonly string[]): CheckpointedState {
    const names = listed ?? this.store.list();
    const clean = names.includes(cleanShutdownFile);
    const cleanLogEndOffset = clean ? readNumberFile(this.store, cleanShutdownFile) : undefined;
    return {
      clean,
      ...(cleanLogEndOffset === undefined ? {} : { cleanLogEndOffset }),
      recoveryPoint: readNumberFile(this.store, recoveryPointFile),
      logStartOffset: readNumberFile(this.store, logStartCheckpointFile),
      known: names.some((n) => n.endsWith('checkpoint')) || clean,
    };
  }
  removeCleanMarker(): void {
    this.store.remove(cleanShutdownFile);
    this.store.syncDir();
  }
  writeRecoveryPoint(offset: number): void {
    writeNumberFile(this.store, recoveryPointFile, offset);
  }
  writeLogStartOffset(offset: number): void {
    writeNumberFile(this.store, logStartCheckpointFile, offset);
  }
  markCleanShutdown(logEndOffset: number): void {
    this.store.writeAtomic(cleanShutdownFile, Buffer.from(`${logEndOffset}\n`));
  }
}
