/**
 * Kafka's `LocalLog`: a partition's segments on local storage. It keeps the ordered list
 * of segments, appends to the active one, rolls, reads, truncates and deletes segments.
 * It decides nothing about durability (the flusher does), about what is valid to append
 * (the validator and `PartitionLog` do), or about epochs and checkpoints: it is the
 * place where bytes meet files.
 * @internal
 */
import { asBuffer, batchBytesMax, batchHeaderBytes, batchLogOverheadBytes, checkBatch, compressionOf, decodeUncompressedBatch, positions, readInt64 } from '../record/batch.js';
import { decodeBatch } from '../record/codecs/index.js';
import { assert } from '../util/assert.js';
import type { Clock } from '../util/clock.js';
import { TributaryError } from '../util/errors.js';
import { handOverBuffer } from '../util/hand-over.js';
import type { LogConfig } from './log.js';
import { ProducerSnapshots } from './producer-snapshots.js';
import { Segment } from './segment.js';
import type { Store } from './store.js';

/** The most bytes one read returns, whatever `maxBytes` asks (Kafka's fetch.max.bytes is 50 MiB). */
export const readBytesMax = 64 * 1024 * 1024;
/** `maxBytes` of a read that names none (Kafka's max.partition.fetch.bytes). */
export const readBytesDefault = 1024 * 1024;

assert(readBytesDefault <= readBytesMax, 'a read asks by default for no more than any read may');

/** Returned by a read that found the index and the log disagreeing. */
const indexMismatch = Symbol('index mismatch');
/** A read at least this large gets a buffer of its own, which may cross to another thread uncopied if the answer is this large too (smaller ones are copied: cheaper than a transfer). */
const ownReadMinBytes = 16 * 1024;

export class LocalLog {
  /** The segments, oldest first; the last is the active one. Never empty once loaded. */
  segments: Segment[] = [];
  /** The producer-state snapshots (producer-snapshots.ts): one taken at every roll, removed by every cut below it. */
  readonly producerSnapshots: ProducerSnapshots;
  /** Where the last read ended, so a sequential reader skips the index (see tryReadFromSegment). */
  private readAhead: { segment: Segment; offset: number; position: number } | undefined;

  constructor(
    readonly store: Store,
    readonly topic: string,
    readonly partition: number,
    private readonly clock: Clock,
    /** The log's current config (it changes with the topic's configs). */
    private readonly config: () => LogConfig,
  ) {
    this.producerSnapshots = new ProducerSnapshots(store);
  }

  /**
   * The active segment, kept by `segmentsChanged` after every change of `segments` (here,
   * and at the end of a load: log-loader.ts forgets it first). Why: every append reads
   * the log end offset, and `segments[length - 1]` was three dependent loads (the list, its
   * storage, the segment), each a cache miss with keyed writes going round 10,000
   * partitions; undefined (the list read) while a change is under way.
   */
  private activeCache: Segment | undefined;

  get active(): Segment {
    return this.activeCache ?? this.segments[this.segments.length - 1]!;
  }

  /** After any change of `segments`: the active segment is its last again. */
  segmentsChanged(): void {
    this.activeCache = this.segments[this.segments.length - 1];
  }

  /** Before changes of `segments` made from outside (the loader): `active` reads the list until `segmentsChanged`. */
  forgetActive(): void {
    this.activeCache = undefined;
  }

  get logEndOffset(): number {
    return this.active.nextOffset;
  }

  get sizeInBytes(): number {
    let total = 0;
    for (const s of this.segments) total += s.size;
    return total;
  }

  get isEmpty(): boolean {
    return this.segments.every((s) => s.isEmpty);
  }

  /** A segment object for `baseOffset` (its log file is created when first written). */
  newSegment(baseOffset: number): Segment {
    return new Segment(this.store, baseOffset, this.store.open(Segment.fileName(baseOffset, 'log'), true), this.clock.now());
  }

  /**
   * Starts a new active segment at `baseOffset` and returns the old one, whose index files
   * are written (not synced: the flusher makes it durable off the write path).
   */
  roll(baseOffset: number): Segment {
    const old = this.active;
    old.writeIndexFiles(false);
    assert(old === this.segments[this.segments.length - 1], 'the kept active segment is the last');
    this.segments.push(this.newSegment(baseOffset));
    this.segmentsChanged();
    // The state below the new segment (the broker applies this write's batches after it).
    this.producerSnapshots.take(baseOffset);
    return old;
  }

  /** Drops the read-ahead position (the segments changed under it). */
  forgetReadAhead(): void {
    this.readAhead = undefined;
  }

  /** Replaces `count` segments from `first` with `seg` (compaction). */
  replaceSegments(first: number, count: number, seg: Segment): void {
    this.segments.splice(first, count, seg);
    this.segmentsChanged();
    this.readAhead = undefined;
  }

  /** Removes the `count` oldest segments (never the active one), oldest first. */
  deleteOldest(count: number): void {
    assert(count < this.segments.length, 'the active segment is never deleted');
    for (const seg of this.segments.splice(0, count)) seg.deleteFiles();
    this.segmentsChanged();
  }

  /**
   * Cuts the log so that it ends before the batch holding `offset` (a batch is the unit
   * of truncation: one that straddles `offset` goes whole). Later segments go first, so
   * that a crash midway leaves a prefix of the log.
   */
  truncateTo(offset: number): void {
    this.readAhead = undefined;
    this.producerSnapshots.truncateTo(offset);
    this.forgetActive();
    while (this.segments.length > 1 && this.active.baseOffset >= offset) this.segments.pop()!.deleteFiles();
    this.segmentsChanged();
    const seg = this.active;
    const position = this.findBatchPosition(seg, offset);
    if (position !== undefined) seg.truncateAt(position, this.config().indexIntervalBytes);
  }

  /** Deletes every segment, last first, and starts an empty one at `offset`. */
  resetTo(offset: number): void {
    this.readAhead = undefined;
    this.producerSnapshots.deleteAll();
    for (const s of [...this.segments].reverse()) s.deleteFiles();
    this.segments = [this.newSegment(offset)];
    this.segmentsChanged();
    // Created now, not at its first write: its file says where the log starts, with the checkpoint.
    this.active.file.materialize?.();
  }

  /** Closes every segment's file. */
  closeFiles(): void {
    for (const seg of this.segments) seg.file.close();
  }

  // ------------------------------------------------------------------------- reading

  /**
   * Whole batches from the one holding `offset`, at most `maxBytes` (at least one batch,
   * KIP-74), below `maxOffset`. The caller has checked the range.
   */
  read(offset: number, maxBytes: number, maxOffset: number, into: Buffer | undefined): Buffer {
    // After compaction a segment may end in an empty batch; the batch holding `offset` is
    // then still in the segment whose base offset is the greatest at or below it.
    for (let i = this.segmentIndexFor(offset); i < this.segments.length; i++) {
      const seg = this.segments[i]!;
      if (seg.nextOffset <= offset) continue;
      const records = this.readFromSegment(seg, offset, maxBytes, maxOffset, into);
      if (records !== undefined) return records;
    }
    return Buffer.alloc(0);
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
    // Whether `bytes` is a buffer of this read's own (not the caller's, not from the pool).
    let own = false;
    const readSpan = (position: number, length: number): Buffer => {
      own = (into === undefined || length > into.length) && length >= ownReadMinBytes;
      if (into !== undefined && length <= into.length) return into.subarray(0, seg.file.read(into, 0, length, position));
      return own ? seg.readBytes(position, length, true) : seg.readBytes(position, length);
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
    const slack = known ? 0 : Math.min(this.config().indexIntervalBytes * 2 + 64 * 1024, into === undefined ? Infinity : into.length - maxBytes);
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
    // Nothing else holds this read's buffer: a port transport may transfer it to the
    // consumer's thread instead of copying it (`util/hand-over.ts`).
    // (A small answer out of a large read is copied: cheaper than moving the whole buffer.)
    return own && end - p >= ownReadMinBytes ? (handOverBuffer(bytes.subarray(p, end)) as Buffer) : bytes.subarray(p, end);
  }

  /**
   * The first record at or after `timestamp` at or after `logStartOffset`: each segment
   * whose max timestamp reaches it is read (through `read`, the log's checked read) from
   * its time index's hint on, batch by batch. `'max'` (Kafka's MAX_TIMESTAMP, -3 on the
   * wire) asks for the first record holding the largest timestamp of the live segments.
   */
  async offsetForTimestamp(target: number | 'max', logStartOffset: number, read: (offset: number) => Uint8Array): Promise<{ offset: number; timestamp: number } | undefined> {
    const live = this.segments.filter((seg) => seg.nextOffset > logStartOffset && !seg.deleted);
    const timestamp = target === 'max' ? live.reduce((max, seg) => Math.max(max, seg.maxTimestamp), -1) : target;
    if (timestamp < 0) return undefined;
    for (const seg of live) {
      if (seg.maxTimestamp < timestamp || seg.nextOffset <= logStartOffset || seg.deleted) continue;
      let offset = Math.max(seg.offsetBeforeTimestamp(timestamp), logStartOffset, seg.baseOffset);
      while (offset < seg.nextOffset && !seg.deleted) {
        const records = read(offset);
        if (records.length === 0) break;
        const bytes = asBuffer(records);
        for (let p = 0; p + batchHeaderBytes <= bytes.length; ) {
          const size = bytes.readInt32BE(p + positions.batchLength) + batchLogOverheadBytes;
          const last = readInt64(bytes, p + positions.baseOffset) + bytes.readInt32BE(p + positions.lastOffsetDelta);
          if (readInt64(bytes, p + positions.maxTimestamp) >= timestamp) {
            const compressed = compressionOf(bytes.readInt16BE(p + positions.attributes)) !== 'none';
            for (const r of compressed ? await decodeBatch(bytes, p) : decodeUncompressedBatch(bytes, p)) {
              if (r.offset >= offset && r.offset >= logStartOffset && r.timestamp >= timestamp) return { offset: r.offset, timestamp: r.timestamp };
            }
          }
          offset = last + 1;
          p += size;
        }
      }
    }
    return undefined;
  }

  /**
   * CRC-checks up to about `budgetBytes` of the batches recovery trusted without checking
   * (oldest first), exactly as a read of them would, moving each segment's "verified up
   * to" mark; returns whether any remain. A damaged batch fails with
   * KAFKA_STORAGE_ERROR, as a read of it does. A broker runs this in the background after
   * open (log-manager.ts), so that damage below the recovery point is found without a
   * reader, and without the open reading the whole log.
   */
  verifyUnchecked(budgetBytes: number): boolean {
    let budget = budgetBytes;
    for (const seg of this.segments) {
      while (!seg.deleted && seg.verifiedBytes < seg.uncheckedEnd) {
        if (budget <= 0) return true;
        const start = seg.verifiedBytes;
        let bytes = seg.readBytes(start, Math.min(seg.uncheckedEnd - start, Math.max(budget, batchHeaderBytes)));
        let p = 0;
        while (p + batchHeaderBytes <= bytes.length) {
          const size = bytes.readInt32BE(p + positions.batchLength) + batchLogOverheadBytes;
          if (size < batchHeaderBytes || size > batchBytesMax) throw this.damaged(seg, `no batch header at byte ${start + p}`);
          if (p + size > bytes.length) {
            if (p > 0) break; // the next round reads it whole
            bytes = seg.readBytes(start, size);
            if (bytes.length < size) throw this.damaged(seg, `the batch at byte ${start} is cut short`);
          }
          if (!checkBatch(bytes, p, p + size).ok) throw this.damaged(seg, `the batch at byte ${start + p} fails its check`);
          seg.noteChecked(start + p, size);
          p += size;
        }
        if (p === 0) throw this.damaged(seg, `no whole batch at byte ${start}`);
        budget -= p;
      }
    }
    return false;
  }

  /** Rebuilds a segment's indexes by a checked scan, after a read found them wrong. */
  private repairIndexes(seg: Segment): void {
    this.readAhead = undefined;
    const next = this.segments[this.segments.indexOf(seg) + 1];
    const nextOffsetBefore = seg.nextOffset;
    const result = seg.scan(seg.baseOffset, next?.baseOffset ?? Infinity, this.config().indexIntervalBytes, () => {}, false);
    if (result.problem !== undefined) throw this.damaged(seg, `${result.problem} at byte ${result.validBytes}`);
    assert(seg.nextOffset === nextOffsetBefore, `a checked scan of segment ${seg.baseOffset} ends where the segment did`);
  }

  private damaged(seg: Segment, why: string): TributaryError {
    return new TributaryError(
      'KAFKA_STORAGE_ERROR',
      `segment ${seg.baseOffset} of ${this.topic}-${this.partition} is damaged: ${why}; its records cannot be served`,
      { topic: this.topic, partition: this.partition },
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
}

