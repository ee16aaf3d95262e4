import { assert } from '../../util/assert.js';

/** One entry of the epoch history: the epoch and the offset of its first record. */
export interface EpochStart {
  readonly epoch: number;
  readonly startOffset: number;
}

/** Kafka's `UNDEFINED_EPOCH`: no epoch. */
export const undefinedEpoch = -1;
/** Kafka's `UNDEFINED_EPOCH_OFFSET`: no offset. */
export const undefinedEpochOffset = -1;

/** What `endOffsetFor` answers: OffsetForLeaderEpoch's (leaderEpoch, endOffset). */
export interface EpochEndOffset {
  readonly epoch: number;
  readonly endOffset: number;
}

/**
 * The leader epoch history of one replica (KIP-101): for each leader epoch, the offset of
 * the first record written in it: the pure part of Kafka's `LeaderEpochFileCache`. The
 * log's `LeaderEpochFileCache` (`storage/leader-epoch-file-cache.ts`) extends it with the
 * durable copy, `leader-epoch-checkpoint`; a replica's `Partition` uses that one object,
 * so there is one epoch history per replica, never two kept in step.
 *
 * Entries are strictly increasing in both epoch and start offset. Worked example, a log
 * whose leaders were epoch 0 (offsets 0-4), epoch 2 (5-9) and epoch 5 (10 on):
 *
 * ```
 * entries [{0,0}, {2,5}, {5,10}], log end offset 14
 * endOffsetFor(0)  -> {0, 5}    epoch 0 ended where epoch 2 began
 * endOffsetFor(1)  -> {0, 5}    epoch 1 never wrote here: the largest epoch below it is 0
 * endOffsetFor(5)  -> {5, 14}   the latest epoch ends at the log end offset
 * endOffsetFor(6)  -> {-1, -1}  newer than anything known
 * ```
 * @internal
 */
export class LeaderEpochCache {
  protected list: EpochStart[];
  /**
   * The latest entry's epoch and start offset as numbers on this object, kept by
   * `listChanged` after every change of `list`. Why: a leader's every append asks whether
   * its epoch is already the latest (it nearly always is); reading the list and its last
   * entry were two more cold cache lines a batch with keyed records over 10,000
   * partitions, each reached only through the one before.
   */
  private latestEpochValue = undefinedEpoch;
  private latestStartValue = undefinedEpochOffset;

  constructor(entries: readonly EpochStart[] = []) {
    for (let i = 1; i < entries.length; i++) {
      assert(entries[i]!.epoch > entries[i - 1]!.epoch && entries[i]!.startOffset > entries[i - 1]!.startOffset, 'epoch entries increase in epoch and start offset');
    }
    for (const e of entries) assert(e.epoch >= 0 && e.startOffset >= 0, 'epoch entries are non-negative');
    this.list = entries.map((e) => ({ epoch: e.epoch, startOffset: e.startOffset }));
    this.listChanged();
  }

  /** Keeps the latest entry's numbers (see `latestEpochValue`); called after every change of `list`, here and in subclasses. */
  protected listChanged(): void {
    const latest = this.list[this.list.length - 1];
    this.latestEpochValue = latest?.epoch ?? undefinedEpoch;
    this.latestStartValue = latest?.startOffset ?? undefinedEpochOffset;
  }

  /** The entries, oldest first (a copy). */
  get entries(): readonly EpochStart[] {
    return this.list.slice();
  }

  get isEmpty(): boolean {
    return this.list.length === 0;
  }

  /** The latest epoch, or -1 when the cache is empty. */
  get latestEpoch(): number {
    return this.latestEpochValue;
  }

  /** The latest entry, or undefined. */
  get latestEntry(): EpochStart | undefined {
    return this.list[this.list.length - 1];
  }

  /** The earliest entry, or undefined. */
  get earliestEntry(): EpochStart | undefined {
    return this.list[0];
  }

  /**
   * Records that `epoch` began at `startOffset`; returns whether the cache changed.
   * Kafka's `assign`: nothing to do when the latest entry is this epoch at or before this
   * offset; otherwise every entry that would break monotonicity (an epoch at or above
   * `epoch`, or a start at or after `startOffset`) is removed first. Example: [{1,0},{3,10}]
   * then assign(2, 5) leaves [{1,0},{2,5}] (epoch 3 started after 5 and is newer than 2:
   * a follower appending the leader's epoch-2 batch at 5 has lost its own epoch-3 tail).
   */
  assign(epoch: number, startOffset: number): boolean {
    // The message only on failure: built on every call, it was two number-to-string conversions and a string a batch.
    if (!(Number.isSafeInteger(epoch) && epoch >= 0 && Number.isSafeInteger(startOffset) && startOffset >= 0)) assert(false, `invalid epoch entry {${epoch}, ${startOffset}}`);
    if (this.latestEpochValue === epoch && this.latestStartValue <= startOffset) return false;
    while (this.list.length > 0) {
      const last = this.list[this.list.length - 1]!;
      if (last.epoch >= epoch || last.startOffset >= startOffset) this.list.pop();
      else break;
    }
    this.list.push({ epoch, startOffset });
    this.listChanged();
    return true;
  }

  /**
   * Kafka's `LeaderEpochFileCache.endOffsetFor`: the largest epoch at or below
   * `requestedEpoch` and the offset where it ended (the next epoch's start, or
   * `logEndOffset` for the latest epoch).
   *
   * - `requestedEpoch` -1 (a follower that knows no epoch), an empty cache, or an epoch
   *   newer than the latest: {-1, -1}.
   * - `requestedEpoch` is the latest epoch: {requestedEpoch, logEndOffset}.
   * - `requestedEpoch` is older than the earliest entry: {requestedEpoch, start of the
   *   earliest entry}. The history before that was deleted; the follower must truncate
   *   to where the leader's log begins, and its epoch is echoed because nothing smaller
   *   is known (Kafka does the same, KIP-279).
   * - Otherwise {floor epoch, start of the next higher epoch}.
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: number): EpochEndOffset {
    const none = { epoch: undefinedEpoch, endOffset: undefinedEpochOffset };
    if (requestedEpoch === undefinedEpoch) return none;
    const latest = this.latestEntry;
    if (latest === undefined) return none;
    if (latest.epoch === requestedEpoch) return { epoch: requestedEpoch, endOffset: logEndOffset };
    // The first entry with an epoch above the one requested.
    const higher = this.list.findIndex((e) => e.epoch > requestedEpoch);
    if (higher < 0) return none;
    const higherStart = this.list[higher]!.startOffset;
    if (higher === 0) return { epoch: requestedEpoch, endOffset: higherStart };
    return { epoch: this.list[higher - 1]!.epoch, endOffset: higherStart };
  }

  /** The epoch of the record at `offset`: the entry with the largest start at or below it, or undefined. */
  epochForOffset(offset: number): number | undefined {
    let found: number | undefined;
    for (const e of this.list) {
      if (e.startOffset <= offset) found = e.epoch;
      else break;
    }
    return found;
  }

  /**
   * Removes every entry starting at or after `endOffset` (the log was truncated to end
   * there). Returns whether anything was removed. Example: [{0,0},{2,5},{5,10}] cut at
   * 10 leaves [{0,0},{2,5}]; cut at 6 leaves the same (epoch 2 still began at 5).
   */
  truncateFromEnd(endOffset: number): boolean {
    const before = this.list.length;
    while (this.list.length > 0 && this.list[this.list.length - 1]!.startOffset >= endOffset) this.list.pop();
    if (this.list.length === before) return false;
    this.listChanged();
    return true;
  }

  /**
   * The log now starts at `startOffset` (retention, DeleteRecords): entries that started at
   * or before it are dropped, except the last of them, which now starts at `startOffset`.
   * Example: [{0,0},{2,5},{5,10}] from 7 becomes [{2,7},{5,10}]; from 10 becomes [{5,10}].
   * Returns whether anything changed.
   */
  truncateFromStart(startOffset: number): boolean {
    let lastBefore = -1;
    for (let i = 0; i < this.list.length && this.list[i]!.startOffset <= startOffset; i++) lastBefore = i;
    if (lastBefore < 0) return false;
    const kept = this.list[lastBefore]!;
    if (lastBefore === 0 && kept.startOffset === startOffset) return false;
    this.list = [{ epoch: kept.epoch, startOffset }, ...this.list.slice(lastBefore + 1)];
    this.listChanged();
    return true;
  }
}
