/**
 * The consumer's decoder of an uncompressed records section (Kafka's `DefaultRecord.readFrom`
 * as the consumer's `CompletedFetch` drives it): every record at or past the reader's
 * position becomes one {@link PartitionRecord}, made by the decoder's own loop, with key and
 * value views into the section's bytes.
 *
 * Why a loop of its own, apart from `decodeSection` in batch.ts (which decodes records for
 * everyone else: `decodeBatch`, the Raft log, the group coordinator's loading): V8 keeps
 * one set of type feedback per function, and the code it optimizes assumes what that
 * feedback saw. The shared loop and the shared `ByteReader` methods it inlined saw every
 * reader of the process: a maker function or none, `-Infinity` or an offset as the start,
 * a `Buffer` or a plain `Uint8Array` body (a metadata record every few seconds, a request
 * frame). Each newcomer deoptimized the consumer's compiled loop, and V8 compiled it again
 * (17 to 118 ms of the compiler's time each, 5 to 7 times over a consumer's first 4
 * million records, measured with `--trace-opt --trace-deopt` in
 * bench/results/2026-12-07h-consumer.md). This loop, its cursor and its varint readers
 * are the consumer's alone, and read only `Buffer`s.
 *
 * The checks are those of `decodeSection`, in the same order, with the same
 * `CORRUPT_MESSAGE` errors: a record never reads outside its section, a length past the
 * end or an overlong varint is an error, never a `RangeError`.
 * @internal
 */
import { TributaryError } from '../util/errors.js';
import { asBuffer, timestampTypeOf, type BatchHeader, type DecodedRecord, type RecordHeader, type TimestampType } from './batch.js';

/**
 * A record as a consumer hands it out: a decoded record with the topic and partition it
 * was read from, the epoch of the leader that appended its batch, and what its timestamp
 * is (its batch's attribute, Kafka's `ConsumerRecord.timestampType()`). (`ConsumerRecord`
 * in `client/` is this shape; the fields are made in this order.)
 */
export interface PartitionRecord extends DecodedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly leaderEpoch: number;
  readonly timestampType: TimestampType;
}

/**
 * Makes a {@link PartitionRecord}: `new PartitionRecordObject(...)` is a plain object (its
 * prototype is `Object.prototype`, its `constructor` is `Object`, its own fields are made
 * in the order below), exactly what the object literal `{ topic, partition, ... }` made.
 *
 * Why not that literal: V8 tracks the objects an object literal makes (allocation sites
 * with mementos) and, when one young-generation collection finds nearly all of a site's
 * recent objects alive while the young generation is at its largest, allocates every later
 * object of that site straight in the old generation, for the life of the process
 * ("pretenuring"). A consumer meets that test by chance: V8 runs a scheduled collection
 * between two macrotasks, which is just after a fetch's 9,500 records were decoded and
 * while the loop holds them all (`--trace-pretenuring`: "(created, found, ratio) (9505,
 * 9505, 1.000000) undecided => tenure"). From then on every record is an old-generation
 * object whose Buffer views are young: each view is kept alive by a dead record until a
 * full collection, young collections copy almost everything, and full collections run
 * every 50 MB (measured: 18 to 19 mark-compacts and 340 to 400 ns a record in a reading
 * pass, against 2 to 4 and 150 to 190 ns when the dice fall the other way). An object made
 * by `new` has no allocation site, so the decision is never taken.
 */
interface PartitionRecordConstructor {
  new (topic: string, partition: number, offset: number, timestamp: number, key: Uint8Array | null, value: Uint8Array | null, headers: readonly RecordHeader[], leaderEpoch: number, timestampType: TimestampType): PartitionRecord;
}
const PartitionRecordObject = function PartitionRecordObject(
  this: { -readonly [K in keyof PartitionRecord]: PartitionRecord[K] },
  topic: string,
  partition: number,
  offset: number,
  timestamp: number,
  key: Uint8Array | null,
  value: Uint8Array | null,
  headers: readonly RecordHeader[],
  leaderEpoch: number,
  timestampType: TimestampType,
): void {
  this.topic = topic;
  this.partition = partition;
  this.offset = offset;
  this.timestamp = timestamp;
  this.key = key;
  this.value = value;
  this.headers = headers;
  this.leaderEpoch = leaderEpoch;
  this.timestampType = timestampType;
} as unknown as PartitionRecordConstructor;
PartitionRecordObject.prototype = Object.prototype;

/** The same for a record header (`{ key, value }`): a plain object without an allocation site. */
interface RecordHeaderConstructor {
  new (key: string, value: Uint8Array | null): RecordHeader;
}
const RecordHeaderObject = function RecordHeaderObject(this: { key: string; value: Uint8Array | null }, key: string, value: Uint8Array | null): void {
  this.key = key;
  this.value = value;
} as unknown as RecordHeaderConstructor;
RecordHeaderObject.prototype = Object.prototype;

/** The headers of a record without any: one shared, frozen empty list. */
const noHeaders: readonly RecordHeader[] = Object.freeze([]);

/** The fewest bytes a record takes (as batch.ts): length, attributes, timestamp delta, offset delta, key and value lengths, header count. */
const recordBytesMin = 7;

/**
 * Where the decoder is in a section: the section's bytes (always a `Buffer`), the next
 * byte, and, for a section decoded a part at a time ({@link PartitionSection}), how many
 * of its records are read.
 */
class Cursor {
  pos = 0;
  constructor(
    readonly buf: Buffer,
    readonly end: number,
  ) {}
}

/**
 * An uncompressed records section being decoded into a consumer's records a part at a
 * time (`decodePartitionSection` with a limit), as Kafka's `CompletedFetch` iterates a
 * batch's records across polls: the consumer hands out at most `max.poll.records` a
 * chunk, and a batch of 4,800 records (a producer's 512 KiB batch of 100-byte records)
 * is then made into records 500 at a time, when the iteration reaches them, not all at
 * once. Made by {@link openPartitionSection}, which checks the record count first.
 * @internal
 */
export class PartitionSection extends Cursor {
  /** The records read so far (made or skipped). */
  index = 0;
  constructor(
    buf: Buffer,
    readonly count: number,
    readonly header: BatchHeader,
    /** Records below this offset are checked and skipped without an object. */
    readonly fromOffset: number,
    readonly topic: string,
    readonly partition: number,
  ) {
    super(buf, buf.length);
  }
  /** Whether every record of the section is read (and the section's end checked). */
  get done(): boolean {
    return this.index >= this.count;
  }
}

function corrupt(why: string): TributaryError {
  return new TributaryError('CORRUPT_MESSAGE', `corrupt record batch: ${why}`);
}

/** The error `ByteReader` throws for a read past the end or an overlong field, at the cursor. */
function truncated(c: Cursor, why: string): TributaryError {
  return new TributaryError('CORRUPT_MESSAGE', `corrupt record batch at byte ${c.pos}: ${why}`);
}

/** A zig-zag varint (int32, at most 5 bytes). */
function varint(c: Cursor): number {
  const buf = c.buf;
  let result = 0;
  let shift = 0;
  for (let i = 0; i < 5; i++) {
    if (c.pos >= c.end) throw truncated(c, 'a varint runs past the end');
    const b = buf[c.pos++]!;
    result |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) return (result >>> 1) ^ -(result & 1);
    shift += 7;
  }
  throw truncated(c, 'a varint longer than 5 bytes');
}

/** A zig-zag varlong (at most 10 bytes) within the safe integer range. */
function varlong(c: Cursor): number {
  const buf = c.buf;
  let result = 0;
  let multiplier = 1;
  for (let i = 0; i < 10; i++) {
    if (c.pos >= c.end) throw truncated(c, 'a varlong runs past the end');
    const b = buf[c.pos++]!;
    result += (b & 0x7f) * multiplier;
    if ((b & 0x80) === 0) {
      if (result > Number.MAX_SAFE_INTEGER) throw truncated(c, 'a varlong outside the safe integer range');
      return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
    }
    multiplier *= 128;
  }
  throw truncated(c, 'a varlong longer than 10 bytes');
}

/** A length-prefixed bytes field: null for -1, else a view of that many bytes. */
function bytesField(c: Cursor, what: string): Buffer | null {
  const len = varint(c);
  if (len < -1) throw corrupt(`bad ${what} length`);
  if (len === -1) return null;
  if (len > c.end - c.pos) throw corrupt(`${what} runs past the end of the batch`);
  const at = c.pos;
  c.pos = at + len;
  return c.buf.subarray(at, at + len);
}

/** A length-prefixed bytes field below the reader's position: checked and skipped, no view. */
function skipField(c: Cursor, what: string): void {
  const len = varint(c);
  if (len < -1) throw corrupt(`bad ${what} length`);
  if (len > c.end - c.pos) throw corrupt(`${what} runs past the end of the batch`);
  if (len > 0) c.pos += len;
}

/** A record's headers (`count` of them, checked against the bytes left by the caller). */
function readHeaders(c: Cursor, count: number): RecordHeader[] {
  const list: RecordHeader[] = new Array(count);
  for (let h = 0; h < count; h++) {
    const k = bytesField(c, 'header key');
    if (k === null) throw corrupt('null header key');
    // Kafka decodes header keys leniently (Java's new String(bytes, UTF_8) replaces a
    // malformed sequence with U+FFFD) and so does this: a record Kafka serves must not
    // be unreadable here.
    list[h] = new RecordHeaderObject(k.toString('utf8'), bytesField(c, 'header value'));
  }
  return list;
}

/**
 * Pushes a {@link PartitionRecord} of `topic` and `partition` onto `out` for every record
 * of an uncompressed records section at or past `fromOffset`; the records before it are
 * checked and skipped without an object. Throws `CORRUPT_MESSAGE` on any inconsistency;
 * never reads outside `body`.
 */
export function decodePartitionRecordsSection(body: Uint8Array, header: BatchHeader, fromOffset: number, topic: string, partition: number, out: PartitionRecord[]): void {
  decodePartitionSection(openPartitionSection(body, header, fromOffset, topic, partition), out, Infinity);
}

/**
 * A records section to decode a part at a time with {@link decodePartitionSection}. Its
 * record count is checked first (a garbled count must not size anything).
 * @internal
 */
export function openPartitionSection(body: Uint8Array, header: BatchHeader, fromOffset: number, topic: string, partition: number): PartitionSection {
  const count = header.recordCount;
  if (count < 0 || count > body.length / recordBytesMin) throw corrupt(`${count} records cannot fit in ${body.length} bytes`);
  return new PartitionSection(asBuffer(body), count, header, fromOffset, topic, partition);
}

/**
 * Decodes the section's next records onto `out` until `out` holds `limit` records or the
 * section ends (then its end is checked: no bytes may be left over); returns whether it
 * ended. Records below the section's `fromOffset` are checked and skipped without an
 * object and do not count. Throws `CORRUPT_MESSAGE` on any inconsistency, never reading
 * outside the section. (A consumer that hands a batch out in parts has handed out its
 * earlier parts when a later one turns out damaged; the chunk holding the damaged record
 * fails and its position stays before it. The CRC, when checked, is checked for the whole
 * batch before its first part.)
 * @internal
 */
export function decodePartitionSection(c: PartitionSection, out: PartitionRecord[], limit: number): boolean {
  const count = c.count;
  const header = c.header;
  const fromOffset = c.fromOffset;
  const topic = c.topic;
  const partition = c.partition;
  const timestampType = timestampTypeOf(header.attributes);
  const logAppend = timestampType === 'LogAppendTime';
  const baseOffset = header.baseOffset;
  const baseTimestamp = header.baseTimestamp;
  const lastOffsetDelta = header.lastOffsetDelta;
  const leaderEpoch = header.partitionLeaderEpoch;
  let i = c.index;
  for (; i < count; i++) {
    if (out.length >= limit) {
      c.index = i;
      return false;
    }
    const length = varint(c);
    if (length < recordBytesMin - 1 || length > c.end - c.pos) throw corrupt(`record ${i} has a bad length`);
    const recordEnd = c.pos + length;
    c.pos++; // attributes (the length check above leaves at least this byte)
    const timestampDelta = varlong(c);
    const offsetDelta = varint(c);
    if (offsetDelta < 0 || offsetDelta > lastOffsetDelta) throw corrupt(`record ${i} offset delta ${offsetDelta} is out of range`);
    const offset = baseOffset + offsetDelta;
    const wanted = offset >= fromOffset;
    let key: Buffer | null = null;
    let value: Buffer | null = null;
    if (wanted) {
      key = bytesField(c, 'key');
      value = bytesField(c, 'value');
    } else {
      // Below the reader's position: checked, not viewed.
      skipField(c, 'key');
      skipField(c, 'value');
    }
    const headerCount = varint(c);
    if (headerCount < 0 || headerCount > c.end - c.pos) throw corrupt('bad header count');
    const headers = headerCount > 0 ? readHeaders(c, headerCount) : noHeaders;
    if (c.pos !== recordEnd) throw corrupt(`record ${i} length disagrees with its fields`);
    if (!wanted) continue;
    out.push(new PartitionRecordObject(topic, partition, offset, logAppend ? header.maxTimestamp : baseTimestamp + timestampDelta, key, value, headers, leaderEpoch, timestampType));
  }
  c.index = i;
  if (c.pos !== c.end) throw corrupt('bytes left over after the last record');
  return true;
}
