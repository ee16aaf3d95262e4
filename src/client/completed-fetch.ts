/**
 * A fetched partition's data being handed out, a chunk of at most 500 records at a time
 * (Kafka's consumer calls the same thing a `CompletedFetch`): where the next chunk starts,
 * decoding it straight into the consumer's records, and moving the partition's position
 * past it. Moved out of consumer.ts (the consumer keeps the fetching and the queue).
 * @internal
 */
import { openPartitionBatch } from '../record/codecs/index.js';
import { decodePartitionSection, type PartitionSection } from '../record/partition-records.js';
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
 * The most records a chunk of `batches()` holds (Kafka's `max.poll.records`, 500 by
 * default): a chunk is the next records of one fetch's data, decoded when the iteration
 * reaches it, a record batch split across chunks where it holds more (Kafka's
 * `CompletedFetch` does the same: a batch's record iterator survives between polls).
 *
 * Why not a fetch's records at once, or whole record batches: the iteration's loop (a
 * `for await` over `batches()`, the iterator, a group's delivery) holds the previous chunk
 * while the next is decoded, so a young-generation collection then copies both. Worked
 * example: a producer with a 512 KiB `batchSize` writes batches of about 4,800 records of
 * 100 bytes, about 1.2 MB of record objects each (about 250 bytes a record: the object,
 * its value view, its timestamp); chunks of whole batches left about 2 MB alive at every
 * collection that fell while a chunk was decoded (`--trace-gc-nvp` `new_space_survived`:
 * 1.9-2.0 MB, against 0.35-1.4 MB for a synchronous loop over the log), 17 MB copied and
 * 24 ms of collector pause a pass of 1,000,000 records against 11 MB and 15 ms, about 14
 * ns a record with the collector's helper threads (bench/results/2026-12-07j-consumer.md).
 * Chunks of 500 records leave at most about 250 KB of them alive.
 */
export const chunkRecordsMax = 500;

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
  /** The offset after the last record taken (the last batch's end once it is done): the partition's position once the chunk is handed out. */
  next: number;
  /** The batch whose records are being read, if one is open (its records go on in the next chunk when this one is full). */
  open: PartitionSection | undefined;
  /** The offset after the open batch. */
  openEnd: number;
  /** The base offset of the batch being decoded, for its error's message. */
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
  /** A batch the previous chunk began and did not finish (it held more than a chunk's room): the next chunk goes on with it. */
  open?: PartitionSection | undefined;
  /** The offset after that batch. */
  openEnd?: number;
}

/**
 * Decodes the next chunk of a partition's fetched data (at most `chunkRecordsMax` records:
 * the rest of a batch the previous chunk began, then the following batches, the last one
 * maybe in part) from its position, and moves the position past it. Each record is made
 * once, by the decoder's own loop (`decodePartitionSection`): one object a record, no
 * intermediate record, no maker call, no headers list for a record without headers;
 * records below the position are checked and skipped without an object. Synchronous
 * unless a batch of the chunk is compressed (its codec may be asynchronous): then the rest
 * is decoded after it, in order. Undefined when the chunk held no record for the
 * iteration (control batches only) or the partition was sought meanwhile.
 */
export function decodeChunk(s: ChunkOwner, d: Draining, verifyCrc: boolean, consumed: Consumed): ConsumerBatch | undefined | Promise<ConsumerBatch | undefined> {
  const c: Chunk = { generation: s.generation, records: [], start: d.position, at: d.position, end: d.records.length, next: d.next, open: d.open, openEnd: d.openEnd ?? 0, baseOffset: 0 };
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
 * Reads the open batch's records into the chunk, up to its room; whether the batch is
 * done (then the chunk's offset moves past the batch's end).
 */
function readOpen(s: ChunkOwner, c: Chunk, open: PartitionSection): boolean {
  let done: boolean;
  try {
    done = decodePartitionSection(open, c.records, chunkRecordsMax);
  } catch (err) {
    throw inContext(s, open.header.baseOffset, err);
  }
  if (done) {
    c.open = undefined;
    c.next = c.openEnd;
    return true;
  }
  // Full: the position is after the last record taken; the batch goes on in the next chunk.
  c.next = c.records[c.records.length - 1]!.offset + 1;
  c.end = c.at;
  return false;
}

/**
 * Decodes from `c.at` (after the rest of an open batch) until the chunk holds
 * `chunkRecordsMax` records or the data ends (in a partial batch, KIP-74, or at its end);
 * returns a promise while a compressed batch is decompressed (call again once it settles:
 * the batch is open then).
 */
function decodeSome(s: ChunkOwner, d: Draining, c: Chunk, verifyCrc: boolean): Promise<void> | undefined {
  if (c.open !== undefined && !readOpen(s, c, c.open)) return undefined;
  const bytes = d.records;
  for (const slice of iterateBatches(bytes, c.at)) {
    if (c.records.length >= chunkRecordsMax) {
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
    let open: ReturnType<typeof openPartitionBatch>;
    try {
      open = openPartitionBatch(bytes, slice.position, verifyCrc, from, s.topic, s.partition);
    } catch (err) {
      throw inContext(s, h.baseOffset, err);
    }
    c.openEnd = end;
    if (open instanceof Promise) {
      c.baseOffset = h.baseOffset;
      return open.then((section) => {
        c.open = section;
      });
    }
    if (!readOpen(s, c, open)) {
      c.open = open;
      return undefined;
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
  d.open = c.open;
  d.openEnd = c.openEnd;
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
