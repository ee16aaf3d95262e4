/**
 * A leader's last appends, kept in memory as they were written, to answer its followers'
 * fetches without reading the log file (Kafka serves them from the page cache; here a
 * `pread` of what was written a moment ago cost more than the copy kept of it).
 *
 * **Why.** At RF 3 every batch a leader appends is fetched by two followers, each within a
 * few hundred microseconds, and each fetch read it back from the segment file into a fresh
 * buffer of its own (`LocalLog.read`): two reads of about 1 MB per fetch round, 7% of the
 * in-process cluster's main thread (bench/results/2026-12-07f-replication.md). The tail
 * copies each append once, back to back into a chunk of memory of its own, and answers a
 * follower with a view of that chunk.
 *
 * **What a read returns.** Whole batches from the one whose base offset is the fetch
 * offset, up to `maxBytes` (the first batch always, as the log's read) and below
 * `maxOffset`, across consecutive appends as long as they lie in the same chunk: exactly
 * the bytes the log file holds at those offsets (the copy is stamped with the base offsets
 * and leader epoch the log wrote; a test compares them with the log's own read). An offset
 * the tail does not hold at a batch start (before its first append, in the middle of a
 * batch, past its end) is `undefined`, and the caller reads the log. A read that meets the
 * end of a chunk stops there (the follower's next fetch goes on from there), as Kafka's
 * read stops at the end of a segment; but the appends still kept when a new chunk opens
 * are carried into it (`carry`), so what followers have yet to fetch lies in one chunk and
 * the end of a chunk is met only by appends too large to carry. A read whose offset left
 * the tail reads the file as before.
 *
 * **Ownership.** A kept copy is never written again once made (an append makes a new
 * one), so a view handed out stays what it was for as long as anyone holds it, which is
 * the rule for a replica Fetch answer (docs/design/workers.md: never changed once sent);
 * the copies are never handed over for transfer (`util/hand-over.ts`), so a port
 * transport copies them as it copies any byte array it was not given.
 *
 * **Trust.** The leader checked each append's CRC as it entered this thread (or took it
 * with the producer's mark, `record/checksummed-here.ts`), and the stamps written here
 * are outside the CRC's span. So each view read from the tail carries the mark: a
 * follower in the same thread does not checksum these bytes again. A follower in another
 * node worker of the same process gets them in a replica Fetch answer frame marked
 * `checked` (`node/node-requests.ts`, `fetchAnswerFrame`, which says why that crosses no
 * trust boundary) and does not either; a follower in another process gets them without
 * the mark (no socket carries it) and checks them as before.
 *
 * **Memory.** Chunks of 64 KiB to 1 MiB. Bounded twice: one tail holds at most `appendTailBytesMax`, and every tail
 * of one broker together at most its `TailBudget` (default `tailBudgetBytesDefault`),
 * counting whole chunks. An append that would pass either bound is not kept (the tail
 * starts over at the next one that fits). The leader drops what every in-sync follower
 * has fetched (`dropBelow` the high watermark), so in steady state a tail holds the
 * appends its followers have not fetched yet, one or two, and an idle leader lets go of
 * its chunk at its next tick (`releaseIdle`). Past the budget (thousands of busy
 * partitions on one broker) the rest read their files as before.
 * @internal
 */
import { markChecksummedHere } from '../record/checksummed-here.js';
import { assert } from '../util/assert.js';
import { positions, writeInt64 } from '../record/batch.js';
import type { ValidatedBatches } from './log-validator.js';

/** The most bytes one partition's tail keeps (eight 1 MiB follower fetches). */
export const appendTailBytesMax = 8 * 1024 * 1024;
/** The most bytes the tails of one broker keep together, unless its `TailBudget` says otherwise. */
export const tailBudgetBytesDefault = 32 * 1024 * 1024;

/** Bytes kept by a group of tails (one broker's), against their common maximum. */
export class TailBudget {
  held = 0;
  constructor(readonly bytesMax: number = tailBudgetBytesDefault) {}
}

/** Memory the tail copies appends into, back to back; never written twice (a full chunk is left for a new one). */
interface TailChunk {
  readonly buf: Buffer;
  /** Bytes written so far, from the start. */
  used: number;
  /** Entries in it not yet dropped. */
  entries: number;
}

/** One append as written: where its copy lies, and where each batch starts and what it spans. */
interface TailEntry {
  readonly chunk: TailChunk;
  /** Byte position of the append in its chunk. */
  readonly start: number;
  readonly firstOffset: number;
  /** The offset after the append's last batch. */
  readonly nextOffset: number;
  /** Each batch's base offset. */
  readonly bases: readonly number[];
  /** Each batch's end, a byte position in the chunk. */
  readonly ends: readonly number[];
}

/**
 * The smallest and largest chunk. A chunk holds about eight appends of the size that
 * opened it, up to 1 MiB (a follower fetch's `replica.fetch.max.bytes`): a keyed append of
 * one record (~150 bytes) opens a 64 KiB chunk that holds some 400 of them; the bench's
 * appends of up to 512 KiB share 1 MiB chunks. Why eight and not two: a read stops at the
 * end of a chunk, so a follower whose next batches straddle two chunks takes them in two
 * fetch rounds. Worked example, the RF 3 per-node row: a leader appends about 2.4 batches
 * of 16 KiB at once (one message of Produce requests); chunks of 64 KiB (four of them)
 * split such a group about every other time, and each follower took 1.25 fetch rounds a
 * group instead of one, every extra round two messages between threads and a wake-up
 * each. With chunks of 128-256 KiB: messages per 1,000 records 19.8 to 16.5
 * (bench/results/2026-12-07i-pernode.md); still 30% of the follower fetch answers
 * stopped at a chunk's end, until the kept appends were carried into the next chunk
 * (`carry`, session 12). What it costs: an append of 8-128 KiB
 * holds a chunk two to four times larger while it is kept (a tail drops its appends once every
 * follower has them, one or two rounds), so a broker's budget covers fewer such busy
 * partitions before the rest read their files; appends under 8 KiB (keyed traffic) open
 * 64 KiB chunks as before. Why not larger: a chunk that outlives two
 * scavenges is promoted, and its memory comes back only with a full collection, which V8
 * starts for every 64 MB of such memory. With 4 MiB chunks the RF 3 bench ran 2.5 full
 * collections per million records (the base, reading into 1 MB buffers that died young,
 * 1.7); with 1 MiB chunks 1.9, and the same number of follower fetches.
 */
const chunkBytesMin = 64 * 1024;
const chunkBytesMax = 1024 * 1024;

/** A new chunk's size for `bytes` to come: about eight times them, a power of two from 64 KiB to 1 MiB, and never less than `bytes`. */
function chunkCapacity(bytes: number): number {
  return Math.max(bytes, Math.min(chunkBytesMax, Math.max(chunkBytesMin, 2 ** Math.ceil(Math.log2(bytes * 8)))));
}

export class AppendTail {
  private entries: TailEntry[] = [];
  private head = 0;
  private current: TailChunk | undefined;
  /** Bytes of the chunks held (their whole size, used or not). */
  private heldBytes = 0;

  constructor(private readonly budget: TailBudget = new TailBudget(appendTailBytesMax)) {}

  /** Bytes held now (whole chunks). */
  get bytes(): number {
    return this.heldBytes;
  }

  /** Appends kept now. */
  get appends(): number {
    return this.entries.length - this.head;
  }

  /** The offset after the last append kept (-1 when none is). */
  get nextOffset(): number {
    return this.head < this.entries.length ? this.entries[this.entries.length - 1]!.nextOffset : -1;
  }

  /**
   * Keeps a copy of a leader's append: `validated` as checked, written at `firstOffset`
   * with `leaderEpoch` stamped (the log's `appendValidated` with `assignOffsets`, and no
   * LogAppendTime, which rewrites more than the stamps). An append that does not follow
   * the last one kept (an append that bypassed the tail) starts the tail over.
   */
  append(validated: ValidatedBatches, firstOffset: number, leaderEpoch: number): void {
    if (this.budget.bytesMax === 0) return;
    const input = validated.bytes;
    const size = input.length;
    if (this.head < this.entries.length && this.nextOffset !== firstOffset) this.clear();
    let chunk = this.current;
    if (chunk === undefined || chunk.buf.length - chunk.used < size) {
      let capacity = chunkCapacity(size);
      this.current = undefined;
      if (chunk !== undefined && chunk.entries === 0) this.release(chunk);
      while (this.head < this.entries.length && this.heldBytes + capacity > appendTailBytesMax) this.dropHead();
      if (this.heldBytes + capacity > appendTailBytesMax || this.budget.held + capacity > this.budget.bytesMax) {
        this.clear();
        return;
      }
      // The appends still kept in the chunk being left go on into the new one (see `carry`).
      const from = chunk !== undefined && chunk.entries > 0 ? this.keptIn(chunk) : this.entries.length;
      const carried = from < this.entries.length ? chunk!.used - this.entries[from]!.start : 0;
      let carries = false;
      if (carried > 0) {
        // Room for the carried appends and this one in at most half the chunk, a chunk at
        // most twice the usual size; else nothing is carried, and the chunk is the usual one.
        const wanted = Math.max(capacity, 2 ** Math.ceil(Math.log2((carried + size) * 2)));
        carries = wanted <= Math.min(chunkBytesMax, 2 * capacity) && this.heldBytes + wanted <= appendTailBytesMax && this.budget.held + wanted <= this.budget.bytesMax;
        if (carries) capacity = wanted;
      }
      // Not from Node's pool (a chunk is 64 KiB or more): memory of the tail's alone.
      const fresh: TailChunk = { buf: Buffer.allocUnsafeSlow(capacity), used: 0, entries: 0 };
      chunk = this.current = fresh;
      this.heldBytes += capacity;
      this.budget.held += capacity;
      if (carries) this.carry(from, fresh);
    }
    const at = chunk.used;
    const bytes = chunk.buf;
    bytes.set(input, at);
    const batches = validated.batches;
    const bases = new Array<number>(batches.length);
    const ends = new Array<number>(batches.length);
    let base = firstOffset;
    for (let i = 0; i < batches.length; i++) {
      const { position, size: batchSize, header } = batches[i]!;
      writeInt64(bytes, at + position + positions.baseOffset, base);
      bytes.writeInt32BE(leaderEpoch, at + position + positions.partitionLeaderEpoch);
      bases[i] = base;
      ends[i] = at + position + batchSize;
      base += header.lastOffsetDelta + 1;
    }
    chunk.used += size;
    chunk.entries++;
    this.entries.push({ chunk, start: at, firstOffset, nextOffset: base, bases, ends });
  }

  /**
   * Whole batches from `offset` (a batch's base offset), as the log's read would return
   * them (see the top of this file) but within one chunk, or `undefined` when the tail
   * does not hold a batch starting there.
   */
  read(offset: number, maxBytes: number, maxOffset: number): Uint8Array | undefined {
    let k = this.head;
    while (k < this.entries.length && this.entries[k]!.nextOffset <= offset) k++;
    if (k === this.entries.length) return undefined;
    let e = this.entries[k]!;
    if (offset < e.firstOffset) return undefined;
    let i = e.bases.indexOf(offset);
    if (i < 0) return undefined;
    const chunk = e.chunk;
    // Its memory transferred away would read as empty: a bug (the tail never hands a chunk over, util/hand-over.ts).
    assert(chunk.buf.length > 0, 'a tail chunk is never transferred away');
    const start = i === 0 ? e.start : e.ends[i - 1]!;
    let end = start;
    for (;;) {
      const last = (i + 1 < e.bases.length ? e.bases[i + 1]! : e.nextOffset) - 1;
      if (last >= maxOffset) break;
      if (end > start && e.ends[i]! - start > maxBytes) break;
      end = e.ends[i]!;
      if (++i < e.bases.length) continue;
      // The next append, if it lies right behind this one in the same chunk.
      if (++k === this.entries.length || this.entries[k]!.chunk !== chunk) break;
      e = this.entries[k]!;
      i = 0;
    }
    if (end === start) return undefined;
    const view = chunk.buf.subarray(start, end);
    markChecksummedHere(view);
    return view;
  }

  /** The index of the first kept append in `chunk` (the chunk being filled: its kept appends are the last ones). */
  private keptIn(chunk: TailChunk): number {
    let k = this.entries.length;
    while (k > this.head && this.entries[k - 1]!.chunk === chunk) k--;
    return k;
  }

  /**
   * Copies the kept appends from `from` on (all in the chunk being left) to the start of
   * `into`, the new chunk, so that what a follower has not fetched yet lies in one chunk
   * with the append that opened it, and one read answers it.
   *
   * **Why.** A read stops at the end of a chunk, so a group of appends that straddles
   * two chunks is fetched in two rounds. A chunk holds about eight appends, and a
   * leader appends a group of two to five at a time (one message of Produce requests), so
   * about every other chunk's end fell inside a group: in the per-node RF 3 bench 157 of
   * 518 follower fetch answers (30%) stopped at a chunk's end (bench/results/2026-12-07k-rounds.md),
   * and each such stop cost each follower a second round at once (two messages between
   * threads and their wake-ups), split the group's acks=all answers in two, and with them
   * the producer's next requests, so rounds stayed small. The copy is made once a chunk,
   * of what is kept (the appends not yet acknowledged by every in-sync follower, one or two
   * groups), and only while it and the new append take at most half the new chunk (a
   * chunk up to twice its usual size is opened for that, never past `chunkBytesMax` or the
   * bounds; so an append is not carried again at the next chunk's end unless it is still
   * kept after half a chunk of appends).
   *
   * **Ownership.** The chunk left is never written again: views of it handed out stay
   * what they were; the appends read from here on are views of the new chunk.
   */
  private carry(from: number, into: TailChunk): void {
    const first = this.entries[from]!;
    const old = first.chunk;
    const shift = first.start;
    const bytes = old.used - shift;
    into.buf.set(old.buf.subarray(shift, old.used), 0);
    into.used = bytes;
    for (let k = from; k < this.entries.length; k++) {
      const e = this.entries[k]!;
      this.entries[k] = { chunk: into, start: e.start - shift, firstOffset: e.firstOffset, nextOffset: e.nextOffset, bases: e.bases, ends: e.ends.map((end) => end - shift) };
      into.entries++;
      old.entries--;
    }
    assert(old.entries === 0, 'every kept append of the chunk left was carried');
    this.release(old);
  }

  /** Lets go of every append that ends at or below `offset` (what every in-sync follower has). */
  dropBelow(offset: number): void {
    while (this.head < this.entries.length && this.entries[this.head]!.nextOffset <= offset) this.dropHead();
  }

  /** Lets go of everything (the replica stopped leading, or went). */
  clear(): void {
    // Called on every append of a leader without followers: nothing made when nothing is held.
    if (this.heldBytes === 0 && this.head === this.entries.length) return;
    this.budget.held -= this.heldBytes;
    this.heldBytes = 0;
    this.entries = [];
    this.head = 0;
    this.current = undefined;
  }

  /** Lets go of the chunk being filled if no append in it is kept any more (an idle partition holds nothing). */
  releaseIdle(): void {
    if (this.head === this.entries.length && this.current !== undefined) this.clear();
  }

  private dropHead(): void {
    const e = this.entries[this.head]!;
    this.entries[this.head++] = undefined as unknown as TailEntry;
    if (--e.chunk.entries === 0 && e.chunk !== this.current) this.release(e.chunk);
    if (this.head === this.entries.length) {
      this.entries = [];
      this.head = 0;
    } else if (this.head >= 64 && this.head * 2 >= this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  private release(chunk: TailChunk): void {
    this.heldBytes -= chunk.buf.length;
    this.budget.held -= chunk.buf.length;
  }
}
