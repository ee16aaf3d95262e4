/**
 * Kafka's `LeaderEpochFileCache`: a replica's leader epoch history (KIP-101) and its one
 * durable copy, `leader-epoch-checkpoint`. The log writes through it (each batch's epoch
 * is assigned before the batch is written) and the replica's `Partition` reads and
 * assigns through the same object (`Log.leaderEpochCache`): one history per replica.
 *
 * When the file is written: before the first batch that needs an entry the file lacks
 * (`flushBeforeWrite`), and at once when a truncation or a new log start removes an entry
 * the file holds. Why not at every `assign`: a new leader assigns its epoch at the log
 * end before it has written anything (Kafka's `maybeAssignEpochStartOffset`); writing the
 * file then (a temporary file, an fsync, a rename, a folder fsync) cost a topic of 10,000
 * partitions 40,000 fsyncs at creation for partitions that may never see a record. An
 * entry past the log end is rebuilt by the next leadership anyway; one below the log end
 * is always on disk before its batch, so a crash can leave an entry past the log end (cut
 * on load) but never a batch whose epoch the file lacks.
 * @internal
 */
import { LeaderEpochCache, type EpochStart } from './core/leader-epoch-cache.js';
import type { EpochEntry } from './log.js';
import type { Store } from './store.js';

export const epochCheckpointFile = 'leader-epoch-checkpoint';

export class LeaderEpochFileCache extends LeaderEpochCache {
  /** The entries as the file holds them (undefined: no file, or one that failed to parse). */
  private durable: readonly EpochStart[] | undefined;
  /** The file was last written without an fsync: the next flush syncs it. */
  private unsynced = false;
  /** The file lacks epochs of batches written since (see `flushBeforeWrite`). */
  private behind = false;

  constructor(
    private readonly store: Store,
    entries: readonly EpochStart[],
    durable: readonly EpochStart[] | undefined,
    /** Write the file at the next flush rather than before the batches (a broker's logs; see `flushBeforeWrite`). */
    private readonly deferWrites = false,
  ) {
    super(entries);
    this.durable = durable?.map((e) => ({ ...e }));
  }

  /** Reads the file; undefined if it is missing or garbled (the loader then rebuilds the history from the batch headers). */
  static read(store: Store): EpochEntry[] | undefined {
    return readEpochCheckpoint(store);
  }

  /**
   * Replaces the history with what recovery found; `durable` is what the file held. The
   * file is rewritten if it differs and `write` (a new partition writes nothing).
   */
  restore(entries: readonly EpochStart[], durable: readonly EpochStart[] | undefined, write: boolean): void {
    const fresh = new LeaderEpochCache(entries);
    this.list = fresh.entries.slice();
    this.listChanged();
    this.durable = durable?.map((e) => ({ ...e }));
    if (write && (durable === undefined || !this.isDurable)) this.write();
  }

  /** Whether the file holds exactly the entries in memory (no file counts as an empty history). */
  get isDurable(): boolean {
    return sameEpochs(this.durable ?? [], this.list);
  }

  /**
   * Before batches are written. A log opened on its own writes the file here, without
   * an fsync. A broker's log (`deferWrites`) only marks it as behind: whatever vouches for the batches (the flusher's sync, the flush of a rolled segment
   * before the recovery point passes it, close) writes and syncs it first
   * (`syncIfNeeded`). A crash before that leaves the file behind the log, and that is
   * safe: the batches it lacks lie past the recovery point, where recovery scans every
   * batch and adds the epochs it sees (a missing or garbled file is rebuilt from the
   * batch headers). Why: writing the file on the write path created a file (a temporary
   * one and a rename) on the first record of every partition, 1.6 ms each here: most of
   * what a topic of 10,000 partitions cost until each had accepted one record.
   */
  flushBeforeWrite(): void {
    // Already marked and deferred: nothing to compare (every keyed write of one record
    // compared the whole history here, with a closure, until the next flush).
    if (this.behind && this.deferWrites) return;
    if (this.isDurable) return;
    if (this.store.writeReplacing === undefined) return this.write();
    this.behind = true;
    if (!this.deferWrites) this.writeUnsynced();
  }

  /**
   * How many leading entries of the history the file holds, synced, if the file holds a
   * prefix of it (undefined if not: a truncation's rewrite is pending, or a write unsynced).
   */
  get entriesInFile(): number | undefined {
    if (this.unsynced) return undefined;
    const file = this.durable ?? [];
    return file.length <= this.list.length && sameEpochs(file, this.list.slice(0, file.length)) ? file.length : undefined;
  }

  /**
   * Whether a clean close may leave the file as it is: it holds a synced prefix of the
   * history, and every entry it lacks starts at or past `recoveryPoint`. Those entries'
   * batches lie past the recovery point, which after a crash is scanned batch by batch
   * (each batch's epoch read), and the clean-shutdown marker carries the whole history
   * (with how much of it the file holds) for a clean open. The next flush that moves the
   * recovery point past them writes the file first (`syncIfNeeded`), as before. Why: a
   * clean close wrote and synced the file of every partition that had a new leader term
   * (a temporary file, a rename, two fsyncs): 6.6 s of a 14.7 s close of 10,000 partitions.
   */
  mayStayBehindPast(recoveryPoint: number): boolean {
    const inFile = this.entriesInFile;
    return inFile !== undefined && this.list.slice(inFile).every((e) => e.startOffset >= recoveryPoint);
  }

  /** The file lacks entries of batches in the log (a clean open whose marker said so): the next flush writes it. */
  markBehind(): void {
    if (!this.isDurable) this.behind = true;
  }

  /**
   * Writes the file if it is behind, and makes it durable (fsync of it and of the folder).
   * A broker's log (`deferWrites`) does so only when the recovery point is about to move
   * (`recoveryPointMoves`): the rule is that the file holds every epoch starting below the
   * recovery point, and a group commit (`flush.messages=1`) syncs batches that stay past
   * it, whose epochs recovery reads from their headers after a crash. Why: under
   * `flush.messages=1` each new partition's first acknowledged record also created the
   * file (a temporary file, a write, a rename, an fdatasync and a second folder fsync):
   * 4 syncs and a rename a partition where the record needs 2 (its segment, its folder).
   * A broker's file is always synced or behind (never written unsynced), so nothing is
   * left unsynced by skipping.
   */
  async syncIfNeeded(recoveryPointMoves = true): Promise<void> {
    if (!recoveryPointMoves && this.deferWrites && !this.unsynced) return;
    if (this.behind) this.writeUnsynced();
    if (!this.unsynced) return;
    this.unsynced = false;
    try {
      const f = this.store.open(epochCheckpointFile, false);
      try {
        await f.sync();
      } finally {
        f.close();
      }
      await this.store.syncDirAsync();
    } catch (err) {
      this.unsynced = true;
      throw err;
    }
  }

  /** `syncIfNeeded`, synchronously. */
  syncIfNeededNow(): void {
    if (this.behind) this.writeUnsynced();
    if (!this.unsynced) return;
    const f = this.store.open(epochCheckpointFile, false);
    try {
      f.syncNow();
    } finally {
      f.close();
    }
    this.store.syncDir();
    this.unsynced = false;
  }

  private writeUnsynced(): void {
    this.behind = false;
    if (this.isDurable) return;
    this.store.writeReplacing!(epochCheckpointFile, this.fileBytes());
    this.durable = this.list.map((e) => ({ ...e }));
    this.unsynced = true;
  }

  /** Cuts the history at `endOffset` (a truncation); the file follows at once if it held a removed entry. */
  override truncateFromEnd(endOffset: number): boolean {
    const changed = super.truncateFromEnd(endOffset);
    if (changed && this.durable !== undefined && this.durable.some((e) => e.startOffset >= endOffset)) this.write();
    return changed;
  }

  /** The log now starts at `startOffset`: the earliest epoch moves up to it (KIP-101), in the file too. */
  override truncateFromStart(startOffset: number): boolean {
    const changed = super.truncateFromStart(startOffset);
    if (changed) this.write();
    return changed;
  }

  /** Empties the history and the file (the log was reset). */
  clearAndFlush(): void {
    this.list = [];
    this.listChanged();
    this.write();
  }

  /** Writes the file (atomically: a temporary file, fsync, rename, folder fsync). */
  write(): void {
    this.store.writeAtomic(epochCheckpointFile, this.fileBytes());
    this.durable = this.list.map((e) => ({ ...e }));
    this.unsynced = false;
    this.behind = false;
  }

  private fileBytes(): Buffer {
    const lines = ['0', String(this.list.length), ...this.list.map((e) => `${e.epoch} ${e.startOffset}`)];
    return Buffer.from(`${lines.join('\n')}\n`);
  }
}

export function sameEpochs(a: readonly EpochEntry[], b: readonly EpochEntry[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.epoch !== b[i]!.epoch || a[i]!.startOffset !== b[i]!.startOffset) return false;
  return true;
}

/** Kafka's leader-epoch-checkpoint: version line, count line, then "epoch startOffset" lines. */
export function readEpochCheckpoint(store: Store): EpochEntry[] | undefined {
  const bytes = store.readAll(epochCheckpointFile);
  if (bytes === undefined) return undefined;
  const lines = bytes.toString('utf8').split('\n').filter((l) => l.length > 0);
  if (lines[0] !== '0') return undefined;
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || lines.length !== count + 2) return undefined;
  const out: EpochEntry[] = [];
  for (const line of lines.slice(2)) {
    const [e, s] = line.split(' ').map(Number);
    if (!Number.isSafeInteger(e) || !Number.isSafeInteger(s) || e! < 0 || s! < 0) return undefined;
    const last = out[out.length - 1];
    if (last !== undefined && (e! <= last.epoch || s! <= last.startOffset)) return undefined;
    out.push({ epoch: e!, startOffset: s! });
  }
  return out;
}
