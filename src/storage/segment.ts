import { batchHeaderBytes, batchLogOverheadBytes, positions, readInt64 } from '../record/batch.js';
import { assert } from '../util/assert.js';
import { IndexEntries, ceilingSlot, floorSlot, offsetIndexEntryBytes, segmentFileStem, timeIndexEntryBytes } from './core/offset-index.js';
import { shouldAddIndexEntry, type ActiveSegmentFacts } from './core/segment-plan.js';
import { checkBatchRun, type TailProblem } from './core/torn-tail.js';
import type { Store, StoreFile } from './store.js';

/** Bytes recovery reads at a time when scanning a segment. */
const scanChunkBytes = 8 * 1024 * 1024;

/** What a scan of a segment found. */
export interface ScanResult {
  /** Bytes of whole, valid batches from the start of the segment. */
  readonly validBytes: number;
  readonly batches: number;
  /** Why the segment stopped being valid before its end, if it did. */
  readonly problem?: TailProblem;
}

/**
 * One segment of a partition log: a `.log` file of whole batches starting at
 * `baseOffset`, and its sparse offset and time indexes. The indexes live in memory while
 * the segment is open and are written to `.index` / `.timeindex` when the segment rolls
 * and when the log closes; after a crash they are rebuilt from the log, exactly as Kafka
 * treats its (checksum-less) index files.
 *
 * Why in memory: an entry per 4 KiB of log is 16 bytes here, 4 MiB for a full 1 GiB
 * segment; writing each entry to its file as it is made would cost a system call per
 * batch on the hot path for a file that recovery rebuilds anyway.
 *
 * The offset index maps a batch's base offset (relative to the segment's) to the batch's
 * position; the time index maps the largest timestamp so far to the last offset of the
 * batch that holds it (both relative). Kafka keys its offset index by a batch's last
 * offset instead; keying by the base offset lets a lookup land on the very batch it
 * names, and lets a reader check that it did (see `PartitionLog.read`).
 * @internal
 */
export class Segment {
  offsetIndex = new IndexEntries();
  timeIndex = new IndexEntries();
  /** The offset after this segment's last batch (its base offset when empty). */
  nextOffset: number;
  /** Largest record timestamp in the segment, -1 if none. */
  maxTimestamp = -1;
  /** Last offset of the batch holding `maxTimestamp` (absolute), -1 if none. */
  offsetOfMaxTimestamp = -1;
  /** Max timestamp of the first batch, for `segment.ms` (Kafka's rollingBasedTimestamp). */
  firstBatchTimestamp = -1;
  bytesSinceLastIndexEntry = 0;
  /** Whether the in-memory indexes differ from the index files. */
  indexesDirty = false;
  /** Set once the segment's files are removed; pending work on it is then moot. */
  deleted = false;
  /**
   * Bytes in `[verifiedBytes, uncheckedEnd)` have not had their CRCs checked since the
   * log was opened: a segment recovery trusted without a scan starts as all unchecked
   * (0, its size). Everything else was checked: scanned by recovery, written by this
   * process (every write is checked), or checked by an earlier read. A read checks the
   * batches it returns from the unchecked range (see `PartitionLog.read`), so a damaged
   * batch is never served, and a reader going through the range from its start moves
   * `verifiedBytes` along, so each byte is checked once per open.
   */
  verifiedBytes = 0;
  uncheckedEnd = 0;

  constructor(
    readonly store: Store,
    readonly baseOffset: number,
    readonly file: StoreFile,
    /** When the segment was created or opened, by the log's clock (`segment.ms` for batches without timestamps). */
    readonly createdMs: number,
  ) {
    this.nextOffset = baseOffset;
  }

  static fileName(baseOffset: number, suffix: 'log' | 'index' | 'timeindex'): string {
    return `${segmentFileStem(baseOffset)}.${suffix}`;
  }

  get size(): number {
    return this.file.size;
  }

  get isEmpty(): boolean {
    return this.file.size === 0;
  }

  /**
   * The numbers the roll planner needs: the segment itself (getters), not an object made
   * per write (one a keyed record over 10,000 partitions).
   */
  facts(): ActiveSegmentFacts {
    return this;
  }
  get sizeBytes(): number {
    return this.file.size;
  }
  get offsetIndexEntries(): number {
    return this.offsetIndex.length;
  }
  get timeIndexEntries(): number {
    return this.timeIndex.length;
  }

  /** Records a batch that now sits at `position`, updating the indexes as Kafka's LogSegment.append does. */
  noteBatch(position: number, baseOffset: number, lastOffset: number, maxTimestamp: number, size: number, indexIntervalBytes: number): void {
    if (position === 0) this.firstBatchTimestamp = maxTimestamp;
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.offsetOfMaxTimestamp = lastOffset;
    }
    if (shouldAddIndexEntry(this.bytesSinceLastIndexEntry, indexIntervalBytes)) {
      this.offsetIndex.push(baseOffset - this.baseOffset, position);
      this.appendTimeIndexEntry();
      this.bytesSinceLastIndexEntry = 0;
      this.indexesDirty = true;
    }
    this.bytesSinceLastIndexEntry += size;
    this.nextOffset = lastOffset + 1;
  }

  /** Adds (max timestamp so far -> its offset) if the max grew since the last entry. */
  appendTimeIndexEntry(): void {
    if (this.maxTimestamp < 0) return;
    const last = this.timeIndex.lastKey();
    if (last !== undefined && this.maxTimestamp <= last) return;
    this.timeIndex.push(this.maxTimestamp, this.offsetOfMaxTimestamp - this.baseOffset);
    this.indexesDirty = true;
  }

  /**
   * Where to start looking for `offset`: the position of the last indexed batch whose
   * base offset is at or below it, and that base offset (the start of the segment if no
   * entry is).
   */
  lookup(offset: number): { position: number; baseOffset: number } {
    const slot = floorSlot(this.offsetIndex.keys, this.offsetIndex.length, offset - this.baseOffset);
    if (slot === -1) return { position: 0, baseOffset: this.baseOffset };
    return { position: this.offsetIndex.values[slot]!, baseOffset: this.baseOffset + this.offsetIndex.keys[slot]! };
  }

  /**
   * The first offset from which a record could have a timestamp >= `timestamp`: the
   * offset after the last time-index entry whose timestamp is below it (every record up
   * to that entry's offset is older), or the segment's base offset.
   */
  offsetBeforeTimestamp(timestamp: number): number {
    const slot = ceilingSlot(this.timeIndex.keys, this.timeIndex.length, timestamp) - 1;
    return slot < 0 ? this.baseOffset : this.baseOffset + this.timeIndex.values[slot]!;
  }

  /**
   * Writes both index files from memory (whole files; small) and optionally fsyncs them.
   * The time index gets its final entry first (the segment's max timestamp), as Kafka's
   * `onBecomeInactiveSegment` does: an index file on disk is always complete, which is
   * what recovery checks a trusted segment's time index against.
   */
  writeIndexFiles(sync: boolean): void {
    this.appendTimeIndexEntry();
    for (const [suffix, bytes] of [['index', this.offsetIndexBytes()], ['timeindex', this.timeIndexBytes()]] as const) {
      const f = this.store.open(Segment.fileName(this.baseOffset, suffix), true);
      try {
        f.truncate(0);
        if (bytes.length > 0) f.writeAt(bytes, 0);
        if (sync) f.syncNow();
      } finally {
        f.close();
      }
    }
    this.indexesDirty = false;
  }

  /** fdatasync of both index files, off the main thread. */
  async syncIndexFiles(): Promise<void> {
    for (const suffix of ['index', 'timeindex'] as const) {
      const name = Segment.fileName(this.baseOffset, suffix);
      if (!this.store.exists(name)) continue;
      const f = this.store.open(name, false);
      try {
        await f.sync();
      } finally {
        f.close();
      }
    }
  }

  private offsetIndexBytes(): Buffer {
    const out = Buffer.allocUnsafe(this.offsetIndex.length * offsetIndexEntryBytes);
    for (let i = 0; i < this.offsetIndex.length; i++) {
      out.writeInt32BE(this.offsetIndex.keys[i]!, i * offsetIndexEntryBytes);
      out.writeInt32BE(this.offsetIndex.values[i]!, i * offsetIndexEntryBytes + 4);
    }
    return out;
  }

  private timeIndexBytes(): Buffer {
    const out = Buffer.allocUnsafe(this.timeIndex.length * timeIndexEntryBytes);
    for (let i = 0; i < this.timeIndex.length; i++) {
      const ts = this.timeIndex.keys[i]!;
      const hi = Math.floor(ts / 4294967296);
      out.writeInt32BE(hi, i * timeIndexEntryBytes);
      out.writeUInt32BE(ts - hi * 4294967296, i * timeIndexEntryBytes + 4);
      out.writeInt32BE(this.timeIndex.values[i]!, i * timeIndexEntryBytes + 8);
    }
    return out;
  }

  /**
   * Loads the index files and checks them against the log as far as is cheap: whole
   * entries, keys and positions strictly increasing, positions inside the file, and the
   * last offset entry pointing at a batch with that base offset. Returns false (leaving
   * the indexes empty) when they are missing or do not agree, so the caller rebuilds
   * them by scanning. Entries in the middle are checked as reads use them.
   */
  loadIndexFiles(): boolean {
    const off = this.store.readAll(Segment.fileName(this.baseOffset, 'index'));
    const time = this.store.readAll(Segment.fileName(this.baseOffset, 'timeindex'));
    if (off === undefined || time === undefined) return false;
    if (off.length % offsetIndexEntryBytes !== 0 || time.length % timeIndexEntryBytes !== 0) return false;
    this.offsetIndex = new IndexEntries(Math.max(16, off.length / offsetIndexEntryBytes));
    this.timeIndex = new IndexEntries(Math.max(16, time.length / timeIndexEntryBytes));
    let prevRel = -1;
    let prevPos = 0;
    for (let i = 0; i < off.length; i += offsetIndexEntryBytes) {
      const rel = off.readInt32BE(i);
      const pos = off.readInt32BE(i + 4);
      if (rel <= prevRel || pos <= prevPos || pos + batchHeaderBytes > this.size) return this.resetIndexes();
      this.offsetIndex.push(rel, pos);
      prevRel = rel;
      prevPos = pos;
    }
    let prevTs = -1;
    prevRel = -1;
    for (let i = 0; i < time.length; i += timeIndexEntryBytes) {
      const ts = readInt64(time, i);
      const rel = time.readInt32BE(i + 8);
      if (ts <= prevTs || rel < prevRel || !Number.isSafeInteger(ts)) return this.resetIndexes();
      this.timeIndex.push(ts, rel);
      prevTs = ts;
      prevRel = rel;
    }
    if (this.offsetIndex.length > 0) {
      const header = Buffer.allocUnsafe(batchHeaderBytes);
      const pos = this.offsetIndex.lastValue()!;
      if (this.file.read(header, 0, header.length, pos) !== header.length) return this.resetIndexes();
      if (readInt64(header, positions.baseOffset) !== this.baseOffset + this.offsetIndex.lastKey()! || header[positions.magic] !== 2) return this.resetIndexes();
    }
    return true;
  }

  private resetIndexes(): false {
    this.offsetIndex = new IndexEntries();
    this.timeIndex = new IndexEntries();
    return false;
  }

  /**
   * Walks the batch headers from the last index entry to the end of the file, restoring
   * `nextOffset`, the max timestamp and the index interval counter. Used for a segment
   * recovery trusts (flushed, with sane indexes), where only its tail (at most one index
   * interval plus one batch) needs reading. Returns false if the headers or the time
   * index disagree with the log, so the caller scans the segment instead.
   */
  restoreTail(): boolean {
    const t = this.timeIndex;
    this.maxTimestamp = t.length > 0 ? t.lastKey()! : -1;
    this.offsetOfMaxTimestamp = t.length > 0 ? this.baseOffset + t.lastValue()! : -1;
    const header = Buffer.allocUnsafe(batchHeaderBytes);
    if (this.size > 0) {
      if (this.file.read(header, 0, batchHeaderBytes, 0) !== batchHeaderBytes) return false;
      if (readInt64(header, positions.baseOffset) !== this.baseOffset) return false;
      this.firstBatchTimestamp = readInt64(header, positions.maxTimestamp);
    }
    const from = this.lookup(Number.MAX_SAFE_INTEGER);
    // Kafka's counter restarts at an entry and then counts the indexed batch itself, so
    // it is the bytes from the last entry's batch to the end.
    this.bytesSinceLastIndexEntry = this.size - from.position;
    this.nextOffset = from.baseOffset;
    let pos = from.position;
    while (pos < this.size) {
      if (this.file.read(header, 0, batchHeaderBytes, pos) !== batchHeaderBytes) return false;
      const size = header.readInt32BE(positions.batchLength) + batchLogOverheadBytes;
      const base = readInt64(header, positions.baseOffset);
      const last = base + header.readInt32BE(positions.lastOffsetDelta);
      if (base !== this.nextOffset || size < batchHeaderBytes || pos + size > this.size || header[positions.magic] !== 2) return false;
      const maxTs = readInt64(header, positions.maxTimestamp);
      if (maxTs > this.maxTimestamp) {
        this.maxTimestamp = maxTs;
        this.offsetOfMaxTimestamp = last;
      }
      this.nextOffset = last + 1;
      pos += size;
    }
    this.indexesDirty = false;
    this.verifiedBytes = 0;
    this.uncheckedEnd = this.size;
    return this.timeIndexAgrees();
  }

  /**
   * Restores a trusted segment's state (log end, max timestamp, both indexes) from the
   * log file alone, in one read, without opening its index files: for a small active
   * segment after a clean close, the common case of a broker with many quiet partitions,
   * this saves two file opens per partition (Kafka's `LazyIndex` spares the same opens).
   * The indexes are rebuilt in memory exactly as the appends built them; the index files
   * stay as they are (not dirty). Returns false, leaving the segment as it was, if the
   * segment is larger than `maxBytes` or its batch headers do not tile it.
   */
  restoreFromLog(indexIntervalBytes: number, maxBytes: number): boolean {
    const size = this.size;
    if (size === 0 || size > maxBytes) return false;
    const buf = Buffer.allocUnsafe(size);
    if (this.file.read(buf, 0, size, 0) !== size) return false;
    const saved = { offsetIndex: this.offsetIndex, timeIndex: this.timeIndex, nextOffset: this.nextOffset, maxTimestamp: this.maxTimestamp, offsetOfMaxTimestamp: this.offsetOfMaxTimestamp, firstBatchTimestamp: this.firstBatchTimestamp, bytesSinceLastIndexEntry: this.bytesSinceLastIndexEntry };
    this.offsetIndex = new IndexEntries();
    this.timeIndex = new IndexEntries();
    let pos = 0;
    while (pos < size) {
      const batchSize = pos + batchHeaderBytes <= size ? buf.readInt32BE(pos + positions.batchLength) + batchLogOverheadBytes : -1;
      const base = batchSize < 0 ? -1 : readInt64(buf, pos + positions.baseOffset);
      if (batchSize < batchHeaderBytes || pos + batchSize > size || base !== this.nextOffset || buf[pos + positions.magic] !== 2) {
        Object.assign(this, saved);
        return false;
      }
      this.noteBatch(pos, base, base + buf.readInt32BE(pos + positions.lastOffsetDelta), readInt64(buf, pos + positions.maxTimestamp), batchSize, indexIntervalBytes);
      pos += batchSize;
    }
    this.indexesDirty = false;
    this.verifiedBytes = 0;
    this.uncheckedEnd = size;
    return true;
  }

  /**
   * Whether the time index agrees with the log: every entry names an offset inside the
   * segment, and the last one names the last offset of a batch whose max timestamp it
   * holds, which is the segment's max timestamp. (A plausible but wrong time index would
   * otherwise skew retention and timestamp lookups without any read failing.)
   */
  private timeIndexAgrees(): boolean {
    const t = this.timeIndex;
    if (t.length === 0) return this.maxTimestamp < 0;
    const lastRel = t.lastValue()!;
    if (this.baseOffset + lastRel >= this.nextOffset) return false;
    if (t.lastKey()! !== this.maxTimestamp) return false;
    const target = this.baseOffset + lastRel;
    const header = Buffer.allocUnsafe(batchHeaderBytes);
    let { position, baseOffset: expected } = this.lookup(target);
    while (position + batchHeaderBytes <= this.size) {
      this.file.read(header, 0, batchHeaderBytes, position);
      const base = readInt64(header, positions.baseOffset);
      if (base !== expected) return false;
      const last = base + header.readInt32BE(positions.lastOffsetDelta);
      if (last >= target) return last === target && readInt64(header, positions.maxTimestamp) === t.lastKey();
      const size = header.readInt32BE(positions.batchLength) + batchLogOverheadBytes;
      if (size < batchHeaderBytes) return false;
      position += size;
      expected = last + 1;
    }
    return false;
  }

  /**
   * Scans the whole segment, checking every batch (CRC, lengths, magic, offsets exactly
   * continuing from `minOffset`, below `offsetLimit`) and rebuilding the indexes from
   * scratch. Stops at the first bad batch and reports where: the caller truncates there.
   * Calls `onBatch` for every good batch (the epoch cache uses it). With `keepOnProblem`
   * false, a scan that finds a problem leaves the segment's state as it was.
   */
  scan(
    minOffset: number,
    offsetLimit: number,
    indexIntervalBytes: number,
    onBatch: (baseOffset: number, epoch: number) => void,
    keepOnProblem = true,
  ): ScanResult {
    const saved = {
      offsetIndex: this.offsetIndex,
      timeIndex: this.timeIndex,
      maxTimestamp: this.maxTimestamp,
      offsetOfMaxTimestamp: this.offsetOfMaxTimestamp,
      firstBatchTimestamp: this.firstBatchTimestamp,
      bytesSinceLastIndexEntry: this.bytesSinceLastIndexEntry,
      nextOffset: this.nextOffset,
      indexesDirty: this.indexesDirty,
    };
    this.offsetIndex = new IndexEntries();
    this.timeIndex = new IndexEntries();
    this.maxTimestamp = -1;
    this.offsetOfMaxTimestamp = -1;
    this.firstBatchTimestamp = -1;
    this.bytesSinceLastIndexEntry = 0;
    this.nextOffset = this.baseOffset;
    this.indexesDirty = true;
    const size = this.size;
    let buf = Buffer.allocUnsafe(Math.min(scanChunkBytes, Math.max(size, batchHeaderBytes)));
    let pos = 0;
    let next = minOffset;
    let batches = 0;
    let problem: TailProblem | undefined;
    while (pos < size) {
      const chunkStart = pos;
      const chunk = buf;
      const n = this.file.read(chunk, 0, Math.min(chunk.length, size - pos), pos);
      const run = checkBatchRun(chunk, 0, n, next, offsetLimit, pos + n >= size, (p, base, last, batchSize) => {
        onBatch(base, chunk.readInt32BE(p + positions.partitionLeaderEpoch));
        this.noteBatch(chunkStart + p, base, last, readInt64(chunk, p + positions.maxTimestamp), batchSize, indexIntervalBytes);
      });
      pos += run.validBytes;
      next = run.nextOffset;
      batches += run.batches;
      if (run.problem !== undefined) {
        problem = run.problem;
        break;
      }
      if (run.needMore !== undefined && run.validBytes === 0) {
        // One batch larger than the buffer: grow the buffer to hold it (or the rest of
        // the file, whose end then shows the batch cut short).
        if (run.needMore.batchBytes <= chunk.length) {
          problem = 'truncated-batch'; // a short read: the file shrank under us
          break;
        }
        buf = Buffer.allocUnsafe(Math.min(run.needMore.batchBytes, size - pos));
      }
      if (n === 0) break;
    }
    if (problem !== undefined && !keepOnProblem) Object.assign(this, saved);
    else {
      this.verifiedBytes = pos;
      this.uncheckedEnd = 0;
    }
    return { validBytes: pos, batches, ...(problem === undefined ? {} : { problem }) };
  }

  /** Cuts the segment at `position` (a batch boundary) and rebuilds its indexes from what remains. */
  truncateAt(position: number, indexIntervalBytes: number): void {
    assert(position <= this.size, 'truncation inside the file');
    this.file.truncate(position);
    this.uncheckedEnd = Math.min(this.uncheckedEnd, position);
    this.rebuildFromHeaders(indexIntervalBytes);
  }

  /**
   * Rebuilds the indexes and tail state by walking every batch header (no CRC check: the
   * bytes were checked when written or recovered). Used after a truncation and after
   * compaction, never on the hot path.
   */
  rebuildFromHeaders(indexIntervalBytes: number): void {
    this.offsetIndex = new IndexEntries();
    this.timeIndex = new IndexEntries();
    this.maxTimestamp = -1;
    this.offsetOfMaxTimestamp = -1;
    this.firstBatchTimestamp = -1;
    this.bytesSinceLastIndexEntry = 0;
    this.nextOffset = this.baseOffset;
    this.indexesDirty = true;
    const header = Buffer.allocUnsafe(batchHeaderBytes);
    let pos = 0;
    while (pos + batchHeaderBytes <= this.size) {
      this.file.read(header, 0, batchHeaderBytes, pos);
      const size = header.readInt32BE(positions.batchLength) + batchLogOverheadBytes;
      assert(size >= batchHeaderBytes, `a checked batch at byte ${pos} of segment ${this.baseOffset}`);
      const base = readInt64(header, positions.baseOffset);
      const last = base + header.readInt32BE(positions.lastOffsetDelta);
      this.noteBatch(pos, base, last, readInt64(header, positions.maxTimestamp), size, indexIntervalBytes);
      pos += size;
    }
  }

  /** Whether the batch at `position` has not been CRC-checked since open. */
  isUnchecked(position: number): boolean {
    return position >= this.verifiedBytes && position < this.uncheckedEnd;
  }

  /** Notes that the batch at `position` passed its CRC check. */
  noteChecked(position: number, size: number): void {
    if (position === this.verifiedBytes) this.verifiedBytes = position + size;
  }

  /** Reads `length` bytes at `position` into a fresh buffer; with `own`, one of its own, never from `Buffer`'s pool (it may be handed over to another thread). */
  readBytes(position: number, length: number, own = false): Buffer {
    const buf = own ? Buffer.allocUnsafeSlow(length) : Buffer.allocUnsafe(length);
    const n = this.file.read(buf, 0, length, position);
    return n === length ? buf : buf.subarray(0, n);
  }

  /** Removes the segment's files, the log first: a crash midway leaves only index debris, which recovery removes. */
  deleteFiles(): void {
    this.deleted = true;
    this.file.close();
    for (const suffix of ['log', 'index', 'timeindex'] as const) this.store.remove(Segment.fileName(this.baseOffset, suffix));
  }
}
