/**
 * One batch of one partition as the producer builds it (Kafka's `ProducerBatch` and its
 * `MemoryRecordsBuilder`): records are written into the bytes that will travel, and the
 * 61-byte header goes in front when the batch is closed.
 */
import {
  assembleBatch,
  batchHeaderBytes,
  batchLogOverheadBytes,
  crcStartPosition,
  positions,
  writeInt64,
  type CompressionType,
} from '../record/batch.js';
import { forgetChecksummedHere, markChecksummedHere } from '../record/checksummed-here.js';
import { codecFor } from '../record/codecs/index.js';
import { assert } from '../util/assert.js';
import { crc32c } from '../util/crc32c.js';
import { TributaryError } from '../util/errors.js';
import { sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from '../util/varint.js';
import type { PartitionQueue, ProducerHeader, ProducerRecord, RecordMetadata, SendOp } from './accumulator.js';

/** The parts of a record, measured, ready to be written into a batch (reused: no allocation per record). */
export interface RecordFields {
  key: Uint8Array | string | null;
  /** UTF-8 bytes of the key, -1 for null. */
  keyBytes: number;
  value: Uint8Array | string | null;
  valueBytes: number;
  /** Normalized headers, or undefined for none. */
  headers: readonly EncodedHeader[] | undefined;
  /** Bytes of the headers section: the count and every header. */
  headersBytes: number;
  timestamp: number;
}

/** A header with its name's UTF-8 bytes and its value as bytes. */
export interface EncodedHeader {
  readonly key: Buffer;
  readonly value: Uint8Array | null;
}

/** The bytes of the record part that does not depend on its place in the batch. */
export function fieldBytes(f: RecordFields): number {
  return (f.keyBytes < 0 ? 1 : sizeOfVarint(f.keyBytes) + f.keyBytes) + (f.valueBytes < 0 ? 1 : sizeOfVarint(f.valueBytes) + f.valueBytes) + f.headersBytes;
}

/** The resolve function of a single-record call's promise (light path: `ProducerBatch.appendOne`); a failure resolves it with a rejected promise. */
export type ResolveOne = (value: RecordMetadata | Promise<never>) => void;

/** The most bytes the varints that depend on the batch (length, timestamp delta, offset delta, attributes) can take. */
export const recordOverheadBytesMax = 5 + 1 + 10 + 5;

/** The batch state a partition's queue and the sender move it through. */
export type BatchState = 'open' | 'closed' | 'in-flight' | 'retry' | 'done';

/**
 * One batch of one partition, built in place: the records section is written into
 * `buffer` from byte 61 on as records arrive, and the 61-byte header is written in front
 * of it when the batch is sent (uncompressed), so the bytes that travel are the bytes the
 * records were written into; nothing is copied. A compressed batch compresses its records
 * section into a new buffer when it is closed.
 *
 * Which call each record came from is kept as runs in one array: consecutive records of
 * one array call share one run (the call, its first index, the count: three slots), so a
 * call of a thousand records to one partition costs one run, not a thousand; a
 * single-record call is one slot, the call alone (index 0, count 1 go without saying).
 * Why one array with single calls unadorned: with 32 windows of 1,000 single-record calls
 * in flight, three parallel arrays growing by a slot a call each were 17% of the bytes the
 * producer allocated (allocation sampling, collected objects included).
 */
/** The runs of a batch without records (shared; never written: the first run replaces it). */
const noRuns: (SendOp | number | ResolveOne)[] = Object.freeze([]) as unknown as (SendOp | number | ResolveOne)[];

export class ProducerBatch {
  state: BatchState = 'open';
  /** No more records go in (it filled up, or a record waits for memory behind it): send it without lingering. */
  full = false;
  /** Write position: the end of the records section so far. */
  pos = batchHeaderBytes;
  recordCount = 0;
  baseTimestamp = 0;
  maxTimestamp = -1;
  /**
   * The runs: a single-record call as itself; an array call's run as the call, first
   * index, count; a single-record call that took the light path (`appendOne`) as its
   * promise's resolve function and the record's timestamp (two slots, no `SendOp`).
   */
  private runs: (SendOp | number | ResolveOne)[] = noRuns;
  /** Where the last run starts when it is an array call's (so it can grow), else -1. */
  private lastRun = -1;
  /** The bytes to send, once closed. */
  bytes: Buffer | undefined;
  /** Sequence of the first record (idempotence), -1 before it is assigned. */
  baseSequence = -1;
  producerId = -1;
  producerEpoch = -1;
  /** The order in which the producer first sent its batches: retries go back in this order. */
  sendOrder = -1;
  /** The leader epoch the last attempt was sent under. */
  leaderEpoch = -1;
  /** Sends of this batch so far. */
  attempts = 0;
  /** Don't send again before (monotonic ms). */
  retryAtMs = 0;
  /** The last attempt failed with a stale-metadata error: wait for fresh metadata before the next. */
  awaitingMetadata = false;
  /** Whether the last attempt may have been appended although no answer said so (a network error or timeout). */
  outcomeUnknown = false;
  /** The last attempt's storage error (a full disk), kept so that a batch that expires says why rather than only that time ran out. */
  storageError: string | undefined;
  /** Set once the batch's answer is known, for in-order completion. */
  result: { baseOffset: number; logAppendTime: number } | { error: TributaryError } | undefined;
  /** Resolved when the batch is done; created only when someone (flush) waits. */
  private doneWaiters: (() => void)[] | undefined;

  /** Whether the CRC in the header is up to date (written once, when the batch is first sent). */
  private crcWritten = false;

  readonly topic: string;
  readonly partition: number;

  constructor(
    /**
     * The partition's queue the batch belongs to, from its creation to its end: the sender
     * reaches it from the batch (each answer, each retry) without a lookup by topic name
     * and partition, once a batch with keyed records over 10,000 partitions.
     */
    readonly queue: PartitionQueue,
    /** The bytes records are written into; a small batch starts small and grows up to `limit` (see `RecordAccumulator.grow`). */
    public buffer: Buffer,
    /** Bytes reserved in the pool for this batch: the length of `buffer`. */
    public reservedBytes: number,
    readonly createdMs: number,
    /** The most bytes the batch may grow to: `batchSize`, or one record's size if larger. */
    readonly limit: number,
  ) {
    this.topic = queue.topic;
    this.partition = queue.partition;
  }

  get capacity(): number {
    return this.buffer.length;
  }

  /** The record body (after its length) that `sizeIn` measured last, for `append`. */
  private measuredBody = 0;

  /** Bytes the record would take in this batch, or -1 if it does not fit within `limit` (the buffer may need to grow first). */
  sizeIn(f: RecordFields, fields: number): number {
    const timestampDelta = this.recordCount === 0 ? 0 : f.timestamp - this.baseTimestamp;
    const count = this.recordCount;
    // Zig-zag varints: 1 byte below 64, 2 below 8192.
    const body = 1 + (timestampDelta === 0 ? 1 : sizeOfVarlong(timestampDelta)) + (count < 64 ? 1 : count < 8192 ? 2 : sizeOfVarint(count)) + fields;
    const total = (body < 64 ? 1 : body < 8192 ? 2 : sizeOfVarint(body)) + body;
    if (this.pos + total > this.limit) return -1;
    this.measuredBody = body;
    return total;
  }

  /**
   * Writes the record that `sizeIn` just measured (and said fits), for result `index` of
   * `op`. Written exactly as `DefaultRecord.writeTo`: length, attributes, timestamp delta,
   * offset delta, key, value, headers.
   */
  append(f: RecordFields, op: SendOp, index: number): void {
    this.writeRecord(f);
    this.addRun(op, index, 1);
    this.recordCount++;
  }

  /**
   * `append` for a single-record call on the light path (`RecordAccumulator.appendOne`):
   * the run is the call's resolve function and the record's timestamp, with no `SendOp`.
   * Why: a call in flight is live until its answer, and with 32,000 single-record calls in
   * flight the collector copied every call's objects at each scavenge (46% of that
   * profile); the `SendOp` was 80 of the 250-odd bytes a call kept alive.
   */
  appendOne(f: RecordFields, resolve: ResolveOne): void {
    this.writeRecord(f);
    if (this.runs === noRuns) this.runs = [resolve, f.timestamp];
    else this.runs.push(resolve, f.timestamp);
    this.lastRun = -1;
    this.recordCount++;
  }

  /** Writes the record `sizeIn` just measured into the buffer (the bytes of `DefaultRecord.writeTo`). */
  private writeRecord(f: RecordFields): void {
    assert(this.state === 'open', 'records go into open batches only');
    const buf = this.buffer;
    if (this.recordCount === 0) this.baseTimestamp = f.timestamp;
    if (f.timestamp > this.maxTimestamp) this.maxTimestamp = f.timestamp;
    const timestampDelta = f.timestamp - this.baseTimestamp;
    const body = this.measuredBody;
    let pos = writeVarint(buf, this.pos, body);
    buf[pos++] = 0;
    pos = writeVarlong(buf, pos, timestampDelta);
    pos = writeVarint(buf, pos, this.recordCount);
    pos = writeField(buf, pos, f.key, f.keyBytes);
    pos = writeField(buf, pos, f.value, f.valueBytes);
    const headers = f.headers;
    if (headers === undefined) {
      buf[pos++] = 0;
    } else {
      pos = writeVarint(buf, pos, headers.length);
      for (const h of headers) {
        pos = writeField(buf, pos, h.key, h.key.length);
        pos = writeField(buf, pos, h.value, h.value === null ? -1 : h.value.length);
      }
    }
    assert(pos <= buf.length, 'a record is written only where it fits');
    this.pos = pos;
  }

  /** After `appendRun` stopped at a record that fits under `limit` but not in the buffer: the bytes the buffer needs. */
  wantedBytes = 0;

  /**
   * The fast path of a call whose records go to this batch's partition: writes records of
   * `op` from `from` on, one pass each (measure and write, no intermediate object), as
   * long as they are plain (no headers; a key only if `keys`; `partition` absent, or equal
   * to `partition` when `explicit`) and fit. Returns how many it wrote; it stops at the
   * first record it does not take, leaving that record to the general path (which checks
   * it and says what is wrong with it). When it stopped because the buffer is too small
   * (the record fits under `limit`), `wantedBytes` says how big the buffer must be.
   * The bytes are exactly those of `append`.
   */
  appendRun(op: SendOp, from: number, explicit: boolean, keys: boolean): number {
    assert(this.state === 'open' && this.recordCount > 0, 'a run continues an open batch');
    const records = op.input as readonly ProducerRecord[];
    const partition = explicit ? this.partition : undefined;
    const now = op.now;
    const limit = this.limit;
    const buf = this.buffer;
    let pos = this.pos;
    let count = this.recordCount;
    const base = this.baseTimestamp;
    let maxTimestamp = this.maxTimestamp;
    let i = from;
    let timestamped = false;
    this.wantedBytes = 0;
    const length = records.length;
    for (; i < length; i++) {
      const r = records[i]!;
      if (typeof r !== 'object' || r === null) break;
      const value = r.value;
      if (r.headers !== undefined || r.partition !== partition) break;
      const key = r.key;
      // The common record first: bytes, no key (each test a branch V8 predicts).
      let valueBytes: number;
      if (value instanceof Uint8Array) valueBytes = value.length;
      else if (typeof value === 'string') valueBytes = utf8Bytes(value);
      else if (value === null) valueBytes = -1;
      else break;
      let keyBytes = -1;
      if (key !== undefined && key !== null) {
        if (!keys) break;
        if (key instanceof Uint8Array) keyBytes = key.length;
        else if (typeof key === 'string') keyBytes = utf8Bytes(key);
        else break;
      }
      let timestamp = r.timestamp;
      if (timestamp === undefined) timestamp = now;
      else if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp) || timestamp < 0) break;
      else timestamped = true;
      const delta = timestamp - base;
      // Zig-zag varint sizes inline: 1 byte below 64, 2 below 8192 (the records a batch
      // holds and the values a 100-byte record has); the general functions past that.
      const fields =
        (keyBytes < 0 ? 1 : (keyBytes < 64 ? 1 : keyBytes < 8192 ? 2 : sizeOfVarint(keyBytes)) + keyBytes) +
        (valueBytes < 0 ? 1 : (valueBytes < 64 ? 1 : valueBytes < 8192 ? 2 : sizeOfVarint(valueBytes)) + valueBytes) +
        1;
      const body = 1 + (delta === 0 ? 1 : sizeOfVarlong(delta)) + (count < 64 ? 1 : count < 8192 ? 2 : sizeOfVarint(count)) + fields;
      const total = (body < 64 ? 1 : body < 8192 ? 2 : sizeOfVarint(body)) + body;
      if (pos + total > buf.length) {
        if (pos + total <= limit) this.wantedBytes = pos + total;
        break;
      }
      pos = writeSmallVarint(buf, pos, body);
      buf[pos++] = 0;
      pos = delta === 0 ? ((buf[pos] = 0), pos + 1) : writeVarlong(buf, pos, delta);
      pos = writeSmallVarint(buf, pos, count);
      if (keyBytes < 0) buf[pos++] = 1;
      else pos = writeBytes(buf, writeSmallVarint(buf, pos, keyBytes), key!, keyBytes);
      if (valueBytes < 0) buf[pos++] = 1;
      else pos = writeBytes(buf, writeSmallVarint(buf, pos, valueBytes), value!, valueBytes);
      buf[pos++] = 0;
      if (timestamp > maxTimestamp) maxTimestamp = timestamp;
      count++;
    }
    const n = i - from;
    if (n > 0) {
      assert(pos <= buf.length, 'a run is written only where it fits');
      this.pos = pos;
      this.recordCount = count;
      this.maxTimestamp = maxTimestamp;
      if (timestamped) op.timestamped = true;
      this.addRun(op, from, n);
    }
    return n;
  }

  /** Records `n` records of `op` from index `first`: extends the last run when they follow it. */
  private addRun(op: SendOp, first: number, n: number): void {
    const runs = this.runs;
    // A batch's first run is an array of its exact size: most batches of keyed records
    // over many partitions hold one record, and an empty array's first push reserves 17
    // slots (about 110 bytes more a batch, for the collector to copy while it is in flight).
    if (runs === noRuns) {
      if (op.single) {
        this.runs = [op];
      } else {
        this.lastRun = 0;
        this.runs = [op, first, n];
      }
      return;
    }
    if (op.single) {
      runs.push(op);
      this.lastRun = -1;
      return;
    }
    const last = this.lastRun;
    if (last >= 0 && runs[last] === op && (runs[last + 1] as number) + (runs[last + 2] as number) === first) {
      (runs[last + 2] as number) += n;
    } else {
      this.lastRun = runs.length;
      runs.push(op, first, n);
    }
  }

  /**
   * Closes the batch and produces the bytes to send: for `none`, the header written in
   * front of the records in place; otherwise the records section compressed behind a new
   * header. The producer fields are stamped later, by `stamp`.
   */
  close(): void {
    assert(this.recordCount > 0 && this.state === 'open', 'only open batches with records are closed');
    this.state = 'closed';
    this.bytes = this.buffer.subarray(0, this.pos);
    writeHeader(this.bytes, this.recordCount, this.baseTimestamp, this.maxTimestamp, 0);
  }

  /**
   * Writes the CRC into the header, once: a batch is checksummed when it is first sent,
   * after `stamp` wrote the producer fields (which the CRC covers), not when it is closed.
   * Why: an idempotent producer stamps every batch, so a CRC written at close was always
   * computed again at stamp (one wasted pass over every byte sent). A retry resends the
   * same bytes with the same CRC.
   */
  writeCrc(): void {
    const bytes = this.bytes;
    assert(bytes !== undefined, 'a batch is closed before its CRC is written');
    if (!this.crcWritten) {
      bytes.writeUInt32BE(crc32c(bytes, crcStartPosition), positions.crc);
      this.crcWritten = true;
    }
    // The leader this request reaches in the same thread need not checksum these bytes
    // again (record/checksummed-here.ts); over TCP or from a worker it gets a copy, unmarked.
    markChecksummedHere(bytes);
  }

  /**
   * `close` for a compressed batch: the records section is compressed behind a new header.
   * The sender core has already moved the batch on (to in flight); its shell compresses it
   * before the request that carries it is encoded.
   */
  async closeCompressed(compression: CompressionType): Promise<void> {
    assert(this.recordCount > 0 && this.bytes === undefined, 'a batch with records is closed once');
    const section = await codecFor(compression).compress(this.buffer.subarray(batchHeaderBytes, this.pos));
    this.bytes = assembleBatch(section, this.recordCount, this.baseTimestamp, this.maxTimestamp, compression, {});
    this.crcWritten = true;
  }

  /** Writes the producer id, epoch and base sequence into the header; the CRC follows (`writeCrc`). */
  stamp(producerId: number, producerEpoch: number, baseSequence: number): void {
    const bytes = this.bytes;
    assert(bytes !== undefined, 'a batch is closed before it is stamped');
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    this.baseSequence = baseSequence;
    forgetChecksummedHere(bytes);
    writeInt64(bytes, positions.producerId, producerId);
    bytes.writeInt16BE(producerEpoch, positions.producerEpoch);
    bytes.writeInt32BE(baseSequence, positions.baseSequence);
    this.crcWritten = false;
  }

  /** Calls `fn` once the batch is done (at once if it is). */
  onDone(fn: () => void): void {
    if (this.state === 'done') fn();
    else (this.doneWaiters ??= []).push(fn);
  }

  /** Hands every record its result (or the error) and wakes those waiting. */
  finish(): void {
    const result = this.result;
    assert(result !== undefined, 'a batch finishes with a result');
    this.state = 'done';
    const runs = this.runs;
    if ('error' in result) {
      for (let i = 0; i < runs.length; i++) {
        const x = runs[i]!;
        if (typeof x === 'function') {
          x(Promise.reject(result.error));
          i++; // its timestamp
        } else if (typeof x !== 'number') {
          x.fail(result.error);
        }
      }
    } else {
      let offset = result.baseOffset;
      const partition = this.partition;
      const logAppendTime = result.logAppendTime;
      for (let i = 0; i < runs.length; ) {
        const x = runs[i]!;
        if (typeof x === 'function') {
          x({ topic: this.topic, partition, offset: offset < 0 ? -1 : offset, timestamp: logAppendTime >= 0 ? logAppendTime : (runs[i + 1] as number) });
          if (offset >= 0) offset++;
          i += 2;
          continue;
        }
        const op = x as SendOp;
        if (op.single) {
          op.complete(0, 1, partition, offset, logAppendTime);
          if (offset >= 0) offset++;
          i++;
        } else {
          const count = runs[i + 2] as number;
          op.complete(runs[i + 1] as number, count, partition, offset, logAppendTime);
          if (offset >= 0) offset += count;
          i += 3;
        }
      }
    }
    const waiters = this.doneWaiters;
    this.doneWaiters = undefined;
    if (waiters !== undefined) for (const w of waiters) w();
  }
}

/** A zig-zag varint of a non-negative int32, with the one- and two-byte cases written inline. */
function writeSmallVarint(buf: Buffer, pos: number, value: number): number {
  if (value < 64) {
    buf[pos] = value << 1;
    return pos + 1;
  }
  if (value < 8192) {
    const z = value << 1;
    buf[pos] = (z & 0x7f) | 0x80;
    buf[pos + 1] = z >>> 7;
    return pos + 2;
  }
  return writeVarint(buf, pos, value);
}

function writeField(buf: Buffer, pos: number, v: Uint8Array | string | null, length: number): number {
  if (v === null) return writeVarint(buf, pos, -1);
  return writeBytes(buf, writeVarint(buf, pos, length), v, length);
}

/** Writes `length` bytes of `v` (its UTF-8 for text, measured before) at `pos`; returns the position after them. */
function writeBytes(buf: Buffer, pos: number, v: Uint8Array | string, length: number): number {
  if (typeof v === 'string') {
    // ASCII text (the common case) is its own UTF-8: copy the code units.
    if (length === v.length && length <= 64) {
      for (let i = 0; i < length; i++) buf[pos + i] = v.charCodeAt(i);
    } else {
      buf.write(v, pos, length, 'utf8');
    }
  } else if (length <= 16) {
    for (let i = 0; i < length; i++) buf[pos + i] = v[i]!;
  } else {
    buf.set(v, pos);
  }
  return pos + length;
}

/** Writes a v2 batch header in front of `records` already in `buf` (producer fields -1); the CRC is written when the batch is sent. */
function writeHeader(buf: Buffer, recordCount: number, baseTimestamp: number, maxTimestamp: number, attributes: number): void {
  writeInt64(buf, positions.baseOffset, 0);
  buf.writeInt32BE(buf.length - batchLogOverheadBytes, positions.batchLength);
  buf.writeInt32BE(-1, positions.partitionLeaderEpoch);
  buf[positions.magic] = 2;
  buf.writeInt16BE(attributes, positions.attributes);
  buf.writeInt32BE(recordCount - 1, positions.lastOffsetDelta);
  writeInt64(buf, positions.baseTimestamp, baseTimestamp);
  writeInt64(buf, positions.maxTimestamp, maxTimestamp);
  writeInt64(buf, positions.producerId, -1);
  buf.writeInt16BE(-1, positions.producerEpoch);
  buf.writeInt32BE(-1, positions.baseSequence);
  buf.writeInt32BE(recordCount, positions.recordCount);
}

/** Kafka's UTF-8 length of a string, with a fast path for ASCII. */
export function utf8Bytes(s: string): number {
  const n = s.length;
  if (n <= 64) {
    let i = 0;
    while (i < n && s.charCodeAt(i) < 0x80) i++;
    if (i === n) return n;
  }
  return Buffer.byteLength(s, 'utf8');
}

const headerEncoder = new TextEncoder();

/** Normalizes a record's headers (object or list) into names and values as bytes; fills `f.headers`/`f.headersBytes`. */
export function measureHeaders(f: RecordFields, headers: ProducerRecord['headers']): void {
  if (headers === undefined || headers === null) {
    f.headers = undefined;
    f.headersBytes = 1;
    return;
  }
  const list: EncodedHeader[] = [];
  const add = (key: unknown, value: unknown): void => {
    if (typeof key !== 'string') throw new TributaryError('INVALID_RECORD', `a header name must be a string, got ${typeof key}`);
    let v: Uint8Array | null;
    if (value === null || value === undefined) v = null;
    else if (typeof value === 'string') v = headerEncoder.encode(value);
    else if (value instanceof Uint8Array) v = value;
    else throw new TributaryError('INVALID_RECORD', `header "${key}" must be a string, bytes or null, got ${typeof value}`);
    list.push({ key: Buffer.from(key, 'utf8'), value: v });
  };
  if (Array.isArray(headers)) {
    for (const h of headers as readonly ProducerHeader[]) {
      if (typeof h !== 'object' || h === null) throw new TributaryError('INVALID_RECORD', 'a header must be an object with key and value');
      add(h.key, h.value);
    }
  } else if (typeof headers === 'object') {
    for (const key of Object.keys(headers)) add(key, (headers as Record<string, unknown>)[key]);
  } else {
    throw new TributaryError('INVALID_RECORD', `headers must be an object or an array, got ${typeof headers}`);
  }
  let bytes = sizeOfVarint(list.length);
  for (const h of list) bytes += sizeOfVarint(h.key.length) + h.key.length + (h.value === null ? 1 : sizeOfVarint(h.value.length) + h.value.length);
  f.headers = list.length === 0 ? undefined : list;
  f.headersBytes = list.length === 0 ? 1 : bytes;
}

