import {
  batchHeaderBytes,
  batchLogOverheadBytes,
  checkBatch,
  positions,
  readInt64,
  type BatchProblem,
} from '../record/batch.js';
import { assert } from '../util/assert.js';
import {
  IndexEntries,
  floorSlot,
  offsetIndexEntryBytes,
  segmentFileStem,
  timeIndexEntryBytes,
} from './core/offset-index.js';
import type { Store, StoreFile } from './store.js';

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
 * @internal
 */
export class Segment {
  /** relative offset of a batch's base offset -> byte position of the batch. */
  readonly offsetIndex = new IndexEntries();
  /** max timestamp so far -> relative offset of the batch that holds it. */
  readonly timeIndex = new IndexEntries();
  /** The offset after this segment's last batch (its base offset when empty). */
  nextOffset: number;
  /** Largest record timestamp in the segment, -1 if none. */
  maxTimestamp = -1;
  offsetOfMaxTimestamp = -1;
  /** Timestamp of the first batch, for `segment.ms` (Kafka's rollingBasedTimestamp). */
  firstBatchTimestamp = -1;
  bytesSinceLastIndexEntry = 0;
  indexesDirty = false;

  constructor(
    readonly store: Store,
    readonly baseOffset: number,
    readonly file: StoreFile,
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

  /** Records a batch that now sits at `position`, updating the indexes as Kafka's LogSegment.append does. */
  noteBatch(position: number, baseOffset: number, lastOffset: number, maxTimestamp: number, size: number, indexIntervalBytes: number): void {
    if (this.firstBatchTimestamp === -1 && position === 0) this.firstBatchTimestamp = maxTimestamp;
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.offsetOfMaxTimestamp = lastOffset;
    }
    if (position > 0 && this.bytesSinceLastIndexEntry >= indexIntervalBytes) {
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

  /** Byte position from which to scan for `offset`: the last indexed batch at or before it. */
  positionFor(offset: number): number {
    const slot = floorSlot(this.offsetIndex.keys, this.offsetIndex.length, offset - this.baseOffset);
    return slot === -1 ? 0 : this.offsetIndex.values[slot]!;
  }

  /** Writes both index files from memory (whole files; small) and optionally fsyncs them. */
  writeIndexFiles(sync: boolean): void {
    const off = Buffer.allocUnsafe(this.offsetIndex.length * offsetIndexEntryBytes);
    for (let i = 0; i < this.offsetIndex.length; i++) {
      off.writeInt32BE(this.offsetIndex.keys[i]!, i * 8);
      off.writeInt32BE(this.offsetIndex.values[i]!, i * 8 + 4);
    }
    const time = Buffer.allocUnsafe(this.timeIndex.length * timeIndexEntryBytes);
    for (let i = 0; i < this.timeIndex.length; i++) {
      const ts = this.timeIndex.keys[i]!;
      const hi = Math.floor(ts / 4294967296);
      time.writeInt32BE(hi, i * 12);
      time.writeUInt32BE(ts - hi * 4294967296, i * 12 + 4);
      time.writeInt32BE(this.timeIndex.values[i]!, i * 12 + 8);
    }
    for (const [suffix, bytes] of [['index', off], ['timeindex', time]] as const) {
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

  /**
   * Loads the index files, checking them against the log: entries strictly increasing,
   * positions inside the file, and the last offset entry pointing at a batch with that
   * base offset. Returns false (leaving the indexes empty) when they are missing or do
   * not agree, so the caller rebuilds them by scanning.
   */
  loadIndexFiles(): boolean {
    const off = this.store.readAll(Segment.fileName(this.baseOffset, 'index'));
    const time = this.store.readAll(Segment.fileName(this.baseOffset, 'timeindex'));
    if (off === undefined || time === undefined) return false;
    if (off.length % offsetIndexEntryBytes !== 0 || time.length % timeIndexEntryBytes !== 0) return false;
    this.offsetIndex.clear();
    this.timeIndex.clear();
    let prevRel = -1;
    let prevPos = 0;
    for (let i = 0; i < off.length; i += 8) {
      const rel = off.readInt32BE(i);
      const pos = off.readInt32BE(i + 4);
      if (rel <= prevRel || pos <= prevPos || pos >= this.size) return this.resetIndexes();
      this.offsetIndex.push(rel, pos);
      prevRel = rel;
      prevPos = pos;
    }
    let prevTs = -Infinity;
    for (let i = 0; i < time.length; i += 12) {
      const ts = readInt64(time, i);
      const rel = time.readInt32BE(i + 8);
      if (ts < prevTs || rel < 0) return this.resetIndexes();
      this.timeIndex.push(ts, rel);
      prevTs = ts;
    }
    if (this.offsetIndex.length > 0) {
      const header = Buffer.allocUnsafe(positions.lastOffsetDelta);
      const pos = this.offsetIndex.lastValue()!;
      if (this.file.read(header, 0, header.length, pos) !== header.length) return this.resetIndexes();
      if (readInt64(header, positions.baseOffset) !== this.baseOffset + this.offsetIndex.lastKey()!) return this.resetIndexes();
    }
    return true;
  }

  private resetIndexes(): false {
    this.offsetIndex.clear();
    this.timeIndex.clear();
    return false;
  }

  /**
   * Walks the batch headers from the last index entry to the end of the file, restoring
   * `nextOffset`, the max timestamp and the index interval counter. Used on a clean open,
   * where the log is trusted and only its tail (at most one index interval plus one
   * batch) needs reading.
   */
  restoreTail(): void {
    const start = this.offsetIndex.length > 0 ? this.offsetIndex.lastValue()! : 0;
    const lastTime = this.timeIndex.length > 0 ? this.timeIndex.lastKey()! : -1;
    this.maxTimestamp = lastTime;
    this.offsetOfMaxTimestamp = this.timeIndex.length > 0 ? this.baseOffset + this.timeIndex.lastValue()! : -1;
    this.bytesSinceLastIndexEntry = 0;
    const header = Buffer.allocUnsafe(batchHeaderBytes);
    let pos = start;
    while (pos + batchHeaderBytes <= this.size) {
      this.file.read(header, 0, batchHeaderBytes, pos);
      const size = header.readInt32BE(positions.batchLength) + batchLogOverheadBytes;
      const base = readInt64(header, positions.baseOffset);
      const last = base + header.readInt32BE(positions.lastOffsetDelta);
      const maxTs = readInt64(header, positions.maxTimestamp);
      if (pos === 0) this.firstBatchTimestamp = maxTs;
      if (maxTs > this.maxTimestamp) {
        this.maxTimestamp = maxTs;
        this.offsetOfMaxTimestamp = last;
      }
      this.nextOffset = last + 1;
      if (pos > start || start === 0) this.bytesSinceLastIndexEntry += size;
      else this.bytesSinceLastIndexEntry = size;
      pos += size;
    }
    if (this.firstBatchTimestamp === -1 && this.size >= batchHeaderBytes) {
      this.file.read(header, 0, batchHeaderBytes, 0);
      this.firstBatchTimestamp = readInt64(header, positions.maxTimestamp);
    }
  }

  /**
   * Scans the whole segment, checking every batch (CRC, lengths, magic, offsets strictly
   * increasing from `minOffset`, below `maxOffsetExclusive`) and rebuilding the indexes
   * from scratch. Stops at the first bad batch and reports where: the caller truncates
   * there. Calls `onBatch` for every good batch (the epoch cache uses it).
   */
  scan(
    minOffset: number,
    maxOffsetExclusive: number,
    indexIntervalBytes: number,
    onBatch: (baseOffset: number, epoch: number) => void,
  ): { validBytes: number; batches: number; problem?: BatchProblem | 'offsets-out-of-order' | 'offset-beyond-next-segment' } {
    this.offsetIndex.clear();
    this.timeIndex.clear();
    this.maxTimestamp = -1;
    this.offsetOfMaxTimestamp = -1;
    this.firstBatchTimestamp = -1;
    this.bytesSinceLastIndexEntry = 0;
    this.nextOffset = this.baseOffset;
    this.indexesDirty = true;
    const chunkBytes = 8 * 1024 * 1024;
    let buf = Buffer.allocUnsafe(Math.min(chunkBytes, Math.max(this.size, batchHeaderBytes)));
    let chunkStart = 0;
    let chunkEnd = 0;
    let pos = 0;
    let batches = 0;
    let expectedMin = minOffset;
    const size = this.size;
    while (pos < size) {
      if (pos + batchHeaderBytes > chunkEnd || pos + buf.readInt32BE(pos - chunkStart + positions.batchLength) + batchLogOverheadBytes > chunkEnd) {
        // Refill so that the chunk starts at this batch; grow it if the batch is larger.
        let want = Math.min(buf.length, size - pos);
        if (pos + batchHeaderBytes <= chunkEnd) {
          const need = buf.readInt32BE(pos - chunkStart + positions.batchLength) + batchLogOverheadBytes;
          if (need > buf.length && need <= size - pos && need <= 128 * 1024 * 1024) {
            buf = Buffer.allocUnsafe(need);
            want = need;
          }
        }
        const n = this.file.read(buf, 0, want, pos);
        chunkStart = pos;
        chunkEnd = pos + n;
        if (n < batchHeaderBytes) return { validBytes: pos, batches, problem: 'truncated-header' };
      }
      const at = pos - chunkStart;
      const check = checkBatch(buf, at, chunkEnd - chunkStart);
      if (!check.ok) return { validBytes: pos, batches, problem: check.problem };
      const base = readInt64(buf, at + positions.baseOffset);
      const last = base + buf.readInt32BE(at + positions.lastOffsetDelta);
      // Batch spans tile the log (compaction leaves empty batches, never gaps), so a batch
      // that does not start exactly where the previous one ended has a damaged base
      // offset, the one field the CRC does not cover.
      if (base !== expectedMin) return { validBytes: pos, batches, problem: 'offsets-out-of-order' };
      if (last >= maxOffsetExclusive) return { validBytes: pos, batches, problem: 'offset-beyond-next-segment' };
      const maxTs = readInt64(buf, at + positions.maxTimestamp);
      onBatch(base, buf.readInt32BE(at + positions.partitionLeaderEpoch));
      this.noteBatch(pos, base, last, maxTs, check.size, indexIntervalBytes);
      expectedMin = last + 1;
      pos += check.size;
      batches++;
    }
    return { validBytes: pos, batches };
  }

  /** Cuts the segment at `position` (a batch boundary) and rebuilds its indexes from what remains. */
  truncateAt(position: number, indexIntervalBytes: number): void {
    assert(position <= this.size, 'truncation inside the file');
    this.file.truncate(position);
    this.rebuildFromHeaders(indexIntervalBytes);
  }

  /**
   * Rebuilds the indexes and tail state by walking every batch header (no CRC check: the
   * bytes were checked when written or recovered). Used after a truncation, which happens
   * only on a follower whose log diverged, never on the hot path.
   */
  rebuildFromHeaders(indexIntervalBytes: number): void {
    this.offsetIndex.clear();
    this.timeIndex.clear();
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
      const base = readInt64(header, positions.baseOffset);
      const last = base + header.readInt32BE(positions.lastOffsetDelta);
      this.noteBatch(pos, base, last, readInt64(header, positions.maxTimestamp), size, indexIntervalBytes);
      pos += size;
    }
  }

  /** Reads `length` bytes at `position` into a fresh buffer. */
  readBytes(position: number, length: number): Buffer {
    const buf = Buffer.allocUnsafe(length);
    const n = this.file.read(buf, 0, length, position);
    return n === length ? buf : buf.subarray(0, n);
  }

  deleteFiles(): void {
    this.file.close();
    for (const suffix of ['log', 'index', 'timeindex'] as const) this.store.remove(Segment.fileName(this.baseOffset, suffix));
  }
}
