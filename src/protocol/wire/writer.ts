/**
 * A growable writer of Kafka's wire primitives, the mirror of `WireReader`. Values that do
 * not fit their wire type (an int16 of 40,000, a string longer than 32,767 bytes, a
 * non-integer) are bugs in the caller, which validated its input first, so they are
 * assertions, not `TributaryError`s.
 */
import { writeUuid, type Uuid } from '../../metadata/uuid.js';
import { assert } from '../../util/assert.js';

const utf8 = new TextEncoder();

/** The size a writer starts with; it doubles as needed. */
const initialBytes = 256;

export class WireWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(capacity = initialBytes) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  get position(): number {
    return this.pos;
  }

  /**
   * Reserves `bytes` and returns where they start. It may replace `buf` and `view`, so
   * callers read those only after calling it (`this.view.setInt32(this.ensure(4), v)` would
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
      this.view = new DataView(next.buffer);
    }
    this.pos += bytes;
    return at;
  }

  private fits(value: number, min: number, max: number, what: string): void {
    assert(Number.isInteger(value) && value >= min && value <= max, `${value} does not fit ${what}`);
  }

  int8(value: number): this {
    this.fits(value, -0x80, 0x7f, 'an int8');
    const at = this.ensure(1);
    this.view.setInt8(at, value);
    return this;
  }

  int16(value: number): this {
    this.fits(value, -0x8000, 0x7fff, 'an int16');
    const at = this.ensure(2);
    this.view.setInt16(at, value);
    return this;
  }

  int32(value: number): this {
    this.fits(value, -0x80000000, 0x7fffffff, 'an int32');
    const at = this.ensure(4);
    this.view.setInt32(at, value);
    return this;
  }

  int64(value: number): this {
    assert(Number.isSafeInteger(value), `${value} is not a safe int64`);
    const at = this.ensure(8);
    const high = Math.floor(value / 0x1_0000_0000);
    this.view.setInt32(at, high);
    this.view.setUint32(at + 4, value - high * 0x1_0000_0000);
    return this;
  }

  bool(value: boolean): this {
    const at = this.ensure(1);
    this.view.setUint8(at, value ? 1 : 0);
    return this;
  }

  uuid(value: Uuid): this {
    const at = this.ensure(16);
    writeUuid(this.buf, at, value);
    return this;
  }

  unsignedVarint(value: number): this {
    this.fits(value, 0, 0xffffffff, 'an unsigned varint');
    let v = value;
    while (v >= 0x80) {
      const at = this.ensure(1);
      this.buf[at] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    const last = this.ensure(1);
    this.buf[last] = v;
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
    const bytes = utf8.encode(value);
    assert(bytes.length <= 0x7fff, `a string of ${bytes.length} bytes is longer than Kafka's 32767`);
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

  array<T>(flexible: boolean, items: readonly T[], item: (w: WireWriter, value: T) => void): this {
    return this.nullableArray(flexible, items, item);
  }

  nullableArray<T>(flexible: boolean, items: readonly T[] | null, item: (w: WireWriter, value: T) => void): this {
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
  taggedFields(fields: readonly (readonly [tag: number, write: (w: WireWriter) => void] | undefined)[] = []): this {
    const present = fields.filter((f) => f !== undefined);
    this.unsignedVarint(present.length);
    let previous = -1;
    for (const [tag, write] of present) {
      assert(tag > previous, 'tagged fields are written in increasing tag order');
      previous = tag;
      const inner = new WireWriter(64);
      write(inner);
      const bytes = inner.finish();
      this.unsignedVarint(tag).unsignedVarint(bytes.length).raw(bytes);
    }
    return this;
  }

  /** Writes the (empty, or given) tagged fields when `flexible`; a no-op otherwise. */
  tags(flexible: boolean, fields?: readonly (readonly [tag: number, write: (w: WireWriter) => void] | undefined)[]): this {
    return flexible ? this.taggedFields(fields) : this;
  }

  /** Overwrites an int32 already written at `at` (a size prefix). */
  patchInt32(at: number, value: number): void {
    assert(at + 4 <= this.pos, 'patching inside what was written');
    this.view.setInt32(at, value);
  }

  /** The bytes written: a view into the writer's buffer, valid until the next write. */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}
