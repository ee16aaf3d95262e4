/**
 * A fetched partition's data being handed out, a chunk of whole record batches at a time
 * (Kafka's consumer calls the same thing a `CompletedFetch`): where the next chunk starts,
 * decoding it straight into the consumer's records, and moving the partition's position
 * past it. Moved out of consumer.ts (the consumer keeps the fetching and the queue).
 * @internal
 */
import { decodePartitionBatch } from '../record/codecs/index.js';
import { batchHeaderBytes, batchLogOverheadBytes, isControlBatch, iterateBatches, positions } from '../record/batch.js';
import { TributaryError, isTributaryError } from '../util/errors.js';
import type { ConsumerBatch, ConsumerRecord } from './consumer.js';

/** What a chunk needs of its partition's state in the consumer. */
export interface ChunkOwner {
  readonly topic: string;
  readonly partition: number;
  /** Bumped by every seek: a chunk begun before it is dropped. */
  readonly generation: number;
  draining: Draining | undefined;
  position: number | undefined;
  retries: number;
}

/** The consumer's counts of what it handed out. */
export interface Consumed {
  records: number;
  bytes: number;
}

/**
 * The fewest records a chunk of `batches()` holds, unless the fetched data runs out first:
 * a chunk is whole record batches, decoded when the iteration reaches it (Kafka's Java
 * consumer hands out at most `max.poll.records`, 500, a poll, from the fetch in line).
 *
 * Why not a fetch's records at once: the iteration's loop (a `for await` over `batches()`,
 * the iterator, a group's delivery) holds the previous chunk while the next is decoded, so
 * a young-generation collection then copies both. A 1 MiB fetch of 100-byte records is
 * about 9,500 records and 2.3 MB of objects: measured with `--trace-gc-nvp`, 2.3 MB
 * survived each collection a fetch at a time, against 0.1-0.4 MB a record batch at a time
 * and 0.7-0.9 MB for a synchronous loop over the log (bench/results/2026-12-07f-consumer.md).
 */
const chunkRecordsMin = 500;

/** A chunk being decoded (see `decodeChunk`). */
interface Chunk {
  /** The partition's generation when the chunk began: a seek meanwhile drops it. */
  readonly generation: number;
  readonly records: ConsumerRecord[];
  /** The byte position the chunk starts at. */
  readonly start: number;
  /** The byte position of the next batch to look at. */
  at: number;
  /** The byte position the chunk ends at (the next chunk's start). */
  end: number;
  /** The offset after the last batch taken: the partition's position once the chunk is handed out. */
  next: number;
  /** The base offset of the compressed batch being decoded, for its error's message. */
  baseOffset: number;
}

/** A fetch's data being handed out: where the next chunk starts, in bytes and as an offset. */
export interface Draining {
  readonly generation: number;
  readonly records: Uint8Array;
  readonly highWatermark: number;
  /** The byte position of the next batch to decode. */
  position: number;
  /** The offset the next chunk starts from (the partition's position once the previous chunk was handed out). */
  next: number;
  /** The offset after the data's last batch: where the next fetch starts. */
  readonly endOffset: number;
}

/**
 * Decodes the next chunk of a partition's fetched data (whole record batches, at least
 * `chunkRecordsMin` records unless the data ends first) from its position, and moves the
 * position past it. Each record is made once, by the decoder's own loop
 * (`decodePartitionBatch`): one object a record, no intermediate record, no maker call, no
 * headers list for a record without headers; records below the position are checked and
 * skipped without an object. Synchronous unless a batch of the chunk is compressed (its
 * codec may be asynchronous): then the rest is decoded after it, in order. Undefined when
 * the chunk held no record for the iteration (control batches only) or the partition was
 * sought meanwhile.
 */
export function decodeChunk(s: ChunkOwner, d: Draining, verifyCrc: boolean, consumed: Consumed): ConsumerBatch | undefined | Promise<ConsumerBatch | undefined> {
  const c: Chunk = { generation: s.generation, records: [], start: d.position, at: d.position, end: d.records.length, next: d.next, baseOffset: 0 };
  const pending = decodeSome(s, d, c, verifyCrc);
  return pending === undefined ? finishChunk(s, d, c, consumed) : decodeRest(s, d, c, pending, verifyCrc, consumed);
}

/** The rest of a chunk after a compressed batch: each decompression awaited in turn. */
async function decodeRest(s: ChunkOwner, d: Draining, c: Chunk, pending: Promise<void>, verifyCrc: boolean, consumed: Consumed): Promise<ConsumerBatch | undefined> {
  for (let p: Promise<void> | undefined = pending; p !== undefined; p = decodeSome(s, d, c, verifyCrc)) {
    try {
      await p;
    } catch (err) {
      throw inContext(s, c.baseOffset, err);
    }
  }
  return finishChunk(s, d, c, consumed);
}

/**
 * Decodes whole batches from `c.at` until the chunk holds `chunkRecordsMin` records or
 * the data ends (in a partial batch, KIP-74, or at its end); returns a promise while a
 * compressed batch's records are still coming (call again once it settles).
 */
function decodeSome(s: ChunkOwner, d: Draining, c: Chunk, verifyCrc: boolean): Promise<void> | undefined {
  const bytes = d.records;
  for (const slice of iterateBatches(bytes, c.at)) {
    if (c.records.length >= chunkRecordsMin) {
      c.end = slice.position;
      return undefined;
    }
    c.at = slice.position + slice.size;
    const h = slice.header;
    const end = h.baseOffset + h.lastOffsetDelta + 1;
    if (end <= c.next) continue;
    const from = c.next;
    c.next = end;
    if (isControlBatch(h.attributes) || h.recordCount === 0) continue;
    let pending: Promise<void> | undefined;
    try {
      pending = decodePartitionBatch(bytes, slice.position, verifyCrc, from, s.topic, s.partition, c.records);
    } catch (err) {
      throw inContext(s, h.baseOffset, err);
    }
    if (pending !== undefined) {
      c.baseOffset = h.baseOffset;
      return pending;
    }
  }
  c.end = bytes.length;
  return undefined;
}

/** Moves the partition's position past a decoded chunk; the chunk, unless it holds no record or a seek dropped it. */
function finishChunk(s: ChunkOwner, d: Draining, c: Chunk, consumed: Consumed): ConsumerBatch | undefined {
  if (s.generation !== c.generation || s.draining !== d) return undefined; // sought while decoding
  d.position = c.end;
  d.next = c.next;
  consumed.records += c.records.length;
  consumed.bytes += c.end - c.start;
  s.position = c.next;
  s.retries = 0;
  return c.records.length === 0 ? undefined : { topic: s.topic, partition: s.partition, records: c.records, highWatermark: d.highWatermark };
}

/**
 * The offset after the last whole batch of fetched data (`fetchOffset` if it holds none):
 * a walk over the batches' lengths, reading only the last one's offsets (as
 * `iterateBatches` walks them: a batch shorter than its header, or running past the data,
 * ends the walk).
 */
export function endOffsetOf(bytes: Uint8Array, fetchOffset: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let last = -1;
  for (let pos = 0; bytes.length - pos >= batchHeaderBytes; ) {
    const size = view.getInt32(pos + positions.batchLength) + batchLogOverheadBytes;
    if (size < batchHeaderBytes || bytes.length - pos < size) break;
    last = pos;
    pos += size;
  }
  if (last < 0) return fetchOffset;
  const baseOffset = Number(view.getBigInt64(last + positions.baseOffset));
  return Math.max(fetchOffset, baseOffset + view.getInt32(last + positions.lastOffsetDelta) + 1);
}

/** A decoding failure, said of its partition and batch. */
function inContext(s: ChunkOwner, baseOffset: number, err: unknown): unknown {
  if (!isTributaryError(err)) return err;
  return new TributaryError(err.code, `${s.topic}-${s.partition} at offset ${baseOffset}: ${err.message}`, { topic: s.topic, partition: s.partition, cause: err });
}
