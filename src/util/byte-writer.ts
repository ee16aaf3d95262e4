/**
 * The one growable byte writer, the mirror of `ByteReader`: Kafka's wire primitives, the
 * varints of record batches and metadata records, and length-prefixed sections. Values
 * that do not fit their type (an int16 of 40,000, a string longer than 32,767 bytes, a
 * non-integer) are bugs in the caller, which validated its input first, so they are
 * assertions, not `TributaryError`s. A writer can be reused (`reset`), so encoding a
 * million records allocates only what `take` returns.
 * @internal
 */
import { writeUuid, type Uuid } from './uuid.js';
import { assert } from './assert.js';
import { sizeOfUnsignedVarint, writeUnsignedVarint, writeVarint, writeVarlong } from './varint.js';

const utf8 = new TextEncoder();

/** The longest string `nullableString` copies itself when it is ASCII; longer ones go through TextEncoder. */
const asciiFastPathMax = 64;

/** The size a writer starts with; it doubles as needed. */
const initialBytes = 256;

/**
 * The smallest byte array `external` passes by reference in chunked mode. A smaller one is
 * cheaper to copy than to give its own `writev` entry: copying 4 KiB takes about as long as
 * the syscall bookkeeping for one more iovec.
 */
export const externalBytesMin = 4096;

export class ByteWriter {
  private buf: Uint8Array;
  private pos = 0;
  /**
   * In chunked mode, the pieces written so far: slices of earlier buffers and record bytes
   * passed through by reference (`external`); null in the ordinary mode. `chunkStart` is
   * where the current buffer's unsent piece begins.
   */
  private chunks: Uint8Array[] | null = null;
  private chunkStart = 0;

  constructor(capacity = initialBytes) {
    this.buf = new Uint8Array(capacity);
  }

  get position(): number {
    return this.pos;
  }

  /** Makes room for `bytes` more bytes at `pos` without moving it. */
  private reserve(bytes: number): void {
    if (this.pos + bytes > this.buf.length) {
      this.ensure(bytes);
      this.pos -= bytes;
    }
  }

  /**
   * Reserves `bytes` and returns where they start. It may replace `buf`, so callers read
   * it only after calling it (`this.buf.set(x, this.ensure(4))` would
   * write into the old buffer).
   */
  private ensure(bytes: number): number {
    const at = this.pos;
    if (at + bytes > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < at + bytes) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.buf.subarray(0, at));
      this.buf = next;
    }
    this.pos += bytes;
    return at;
  }

  /**
   * Four bytes, big-endian, of an int32 or a uint32 (a Uint8Array keeps the low 8 bits of
   * each). Byte stores rather than a `DataView`: a writer is made per message, and a
   * `DataView` for each was a third of the cost of a small one.
   */
  private put32(at: number, value: number): void {
    const b = this.buf;
    b[at] = value >>> 24;
    b[at + 1] = value >>> 16;
    b[at + 2] = value >>> 8;
    b[at + 3] = value;
  }

  private fits(value: number, min: number, max: number, what: string): void {
    // The message is built only on failure: this runs for every field written.
    if (!(Number.isInteger(value) && value >= min && value <= max)) assert(false, `${value} does not fit ${what}`);
  }

  int8(value: number): this {
    this.fits(value, -0x80, 0x7f, 'an int8');
    const at = this.ensure(1);
    this.buf[at] = value;
    return this;
  }

  int16(value: number): this {
    this.fits(value, -0x8000, 0x7fff, 'an int16');
    const at = this.ensure(2);
    this.buf[at] = value >> 8;
    this.buf[at + 1] = value;
    return this;
  }

  int32(value: number): this {
    this.fits(value, -0x80000000, 0x7fffffff, 'an int32');
    const at = this.ensure(4);
    this.put32(at, value);
    return this;
  }

  int64(value: number): this {
    if (!Number.isSafeInteger(value)) assert(false, `${value} is not a safe int64`);
    const at = this.ensure(8);
    const high = Math.floor(value / 0x1_0000_0000);
    this.put32(at, high);
    this.put32(at + 4, value - high * 0x1_0000_0000);
    return this;
  }

  uint16(value: number): this {
    this.fits(value, 0, 0xffff, 'a uint16');
    const at = this.ensure(2);
    this.buf[at] = value >> 8;
    this.buf[at + 1] = value;
    return this;
  }

  float64(value: number): this {
    if (typeof value !== 'number') assert(false, `${String(value)} is not a float64`);
    const at = this.ensure(8);
    new DataView(this.buf.buffer, this.buf.byteOffset + at, 8).setFloat64(0, value);
    return this;
  }

  bool(value: boolean): this {
    const at = this.ensure(1);
    this.buf[at] = value ? 1 : 0;
    return this;
  }

  uuid(value: Uuid): this {
    const at = this.ensure(16);
    writeUuid(this.buf, at, value);
    return this;
  }

  uint8(value: number): this {
    this.fits(value, 0, 0xff, 'a uint8');
    // ensure() first: it may replace `buf` (`this.buf[this.ensure(1)]` would write into the old one).
    const at = this.ensure(1);
    this.buf[at] = value;
    return this;
  }

  unsignedVarint(value: number): this {
    this.fits(value, 0, 0xffffffff, 'an unsigned varint');
    this.reserve(5);
    this.pos = writeUnsignedVarint(this.buf, this.pos, value);
    return this;
  }

  /** A zig-zag varint (int32). */
  varint(value: number): this {
    this.fits(value, -0x80000000, 0x7fffffff, 'an int32');
    this.reserve(5);
    this.pos = writeVarint(this.buf, this.pos, value);
    return this;
  }

  /** A zig-zag varlong (int64 within the safe integer range). */
  varlong(value: number): this {
    if (!Number.isSafeInteger(value)) assert(false, `${value} is not a safe int64`);
    this.reserve(10);
    this.pos = writeVarlong(this.buf, this.pos, value);
    return this;
  }

  /**
   * A section prefixed with its length as an unsigned varint, written by `write`. The
   * longest prefix (5 bytes) is reserved first and the section moved back over the unused
   * part, so the section is written once, in place: records are short, and the move is
   * usually of a few dozen bytes by 4.
   */
  lengthPrefixed(write: (w: this) => void): this {
    const lengthAt = this.ensure(5);
    const bodyAt = this.pos;
    write(this);
    const length = this.pos - bodyAt;
    const prefix = sizeOfUnsignedVarint(length);
    writeUnsignedVarint(this.buf, lengthAt, length);
    this.buf.copyWithin(lengthAt + prefix, bodyAt, this.pos);
    this.pos = lengthAt + prefix + length;
    return this;
  }

  raw(bytes: Uint8Array): this {
    const at = this.ensure(bytes.length);
    this.buf.set(bytes, at);
    return this;
  }

  /** A string with an int16 length; or a compact string when `flexible`. */
  string(flexible: boolean, value: string): this {
    return this.nullableString(flexible, value);
  }

  /** A nullable string; null is length -1 (or compact 0). */
  nullableString(flexible: boolean, value: string | null): this {
    if (value === null) return flexible ? this.unsignedVarint(0) : this.int16(-1);
    const n = value.length;
    if (n <= asciiFastPathMax) {
      // Short ASCII strings (topic names, ids, hosts: nearly every string Kafka sends) are
      // copied byte by byte: TextEncoder.encode costs a call into C++ and an allocation
      // each, which made encoding a consumer subscription 40% slower than it needed to be.
      let ascii = true;
      for (let i = 0; i < n && ascii; i++) ascii = value.charCodeAt(i) < 0x80;
      if (ascii) {
        if (flexible) this.unsignedVarint(n + 1);
        else this.int16(n);
        const at = this.ensure(n);
        const b = this.buf;
        for (let i = 0; i < n; i++) b[at + i] = value.charCodeAt(i);
        return this;
      }
    }
    const bytes = utf8.encode(value);
    if (bytes.length > 0x7fff) assert(false, `a string of ${bytes.length} bytes is longer than Kafka's 32767`);
    if (flexible) this.unsignedVarint(bytes.length + 1);
    else this.int16(bytes.length);
    return this.raw(bytes);
  }

  bytes(flexible: boolean, value: Uint8Array): this {
    return this.nullableBytes(flexible, value);
  }

  nullableBytes(flexible: boolean, value: Uint8Array | null): this {
    if (value === null) return flexible ? this.unsignedVarint(0) : this.int32(-1);
    if (flexible) this.unsignedVarint(value.length + 1);
    else this.int32(value.length);
    return this.raw(value);
  }

  array<T>(flexible: boolean, items: readonly T[], item: (w: ByteWriter, value: T) => void): this {
    return this.nullableArray(flexible, items, item);
  }

  nullableArray<T>(flexible: boolean, items: readonly T[] | null, item: (w: ByteWriter, value: T) => void): this {
    if (items === null) return flexible ? this.unsignedVarint(0) : this.int32(-1);
    if (flexible) this.unsignedVarint(items.length + 1);
    else this.int32(items.length);
    for (const x of items) item(this, x);
    return this;
  }

  /**
   * The tagged fields that end a flexible struct: each present field as (tag, size, bytes),
   * in increasing tag order. `fields` lists the fields to write; undefined entries are left
   * out (a tagged field at its default is not sent).
   */
  taggedFields(fields: readonly (readonly [tag: number, write: (w: ByteWriter) => void] | undefined)[] = []): this {
    const present = fields.filter((f) => f !== undefined);
    this.unsignedVarint(present.length);
    let previous = -1;
    for (const [tag, write] of present) {
      assert(tag > previous, 'tagged fields are written in increasing tag order');
      previous = tag;
      const inner = new ByteWriter(64);
      write(inner);
      const bytes = inner.finish();
      this.unsignedVarint(tag).unsignedVarint(bytes.length).raw(bytes);
    }
    return this;
  }

  /** Writes the (empty, or given) tagged fields when `flexible`; a no-op otherwise. */
  tags(flexible: boolean, fields?: readonly (readonly [tag: number, write: (w: ByteWriter) => void] | undefined)[]): this {
    return flexible ? this.taggedFields(fields) : this;
  }

  /**
   * Switches to chunked mode: `external` then passes large byte arrays through by reference
   * instead of copying them, and `finishChunks` returns the pieces in order.
   */
  chunked(): this {
    assert(this.pos === 0, 'chunked mode starts before anything is written');
    this.chunks = [];
    return this;
  }

  /**
   * Writes `bytes`; in chunked mode, bytes of at least `externalBytesMin` are not copied
   * but become a piece of their own (the log's record batches go to the socket as they are).
   */
  external(bytes: Uint8Array): this {
    if (this.chunks === null || bytes.length < externalBytesMin) return this.raw(bytes);
    if (this.pos > this.chunkStart) this.chunks.push(this.buf.subarray(this.chunkStart, this.pos));
    this.chunks.push(bytes);
    // Later writes go after `pos`, so the piece just taken is never overwritten; if the
    // buffer grows, the piece keeps referencing the old one.
    this.chunkStart = this.pos;
    return this;
  }

  /** The pieces written in chunked mode, in order; their total length is the message's. */
  finishChunks(): Uint8Array[] {
    assert(this.chunks !== null, 'finishChunks after chunked()');
    const out = this.chunks.slice();
    if (this.pos > this.chunkStart) out.push(this.buf.subarray(this.chunkStart, this.pos));
    return out;
  }

  /** Overwrites an int32 already written at `at` (a size prefix). */
  patchInt32(at: number, value: number): void {
    assert(at + 4 <= this.pos, 'patching inside what was written');
    this.put32(at, value);
  }

  /** The bytes written: a view into the writer's buffer, valid until the next write. */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /** A copy of the bytes written, which outlives the writer's reuse. */
  take(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  /** Starts over, keeping the buffer (not in chunked mode, whose pieces may still be in use). */
  reset(): this {
    assert(this.chunks === null, 'reset() of a chunked writer');
    this.pos = 0;
    return this;
  }
}
