/**
 * Zig-zag variable-length integers as Kafka's record format uses them (protobuf's
 * encoding): 7 bits a byte, least significant group first, the high bit set on every byte
 * but the last. Signed values are zig-zag mapped first so that small negative numbers
 * stay short (-1 -> 1, 1 -> 2).
 *
 * `varint` covers int32 (at most 5 bytes). `varlong` covers the int64 fields (timestamp
 * deltas) within JavaScript's safe integer range, which holds every millisecond timestamp
 * and offset a log can reach; a varlong beyond 2^53 is reported as corrupt rather than
 * silently rounded. Reading them is `ByteReader`'s (`varint`, `varlong`, `unsignedVarint`),
 * which bounds every read.
 * @internal
 */

/** Bytes that `writeVarint(value)` will take. */
export function sizeOfVarint(value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  let bytes = 1;
  while (v >= 0x80) {
    v >>>= 7;
    bytes++;
  }
  return bytes;
}

/** Writes a zig-zag int32 at `pos`, returns the position after it. */
export function writeVarint(buf: Uint8Array, pos: number, value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

/** Writes an unsigned varint (no zig-zag), as Kafka's flexible protocol versions use. */
export function writeUnsignedVarint(buf: Uint8Array, pos: number, value: number): number {
  let v = value >>> 0;
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

export function sizeOfUnsignedVarint(value: number): number {
  let v = value >>> 0;
  let bytes = 1;
  while (v >= 0x80) {
    v >>>= 7;
    bytes++;
  }
  return bytes;
}

function zigZagLong(value: number): number {
  // Zig-zag for values beyond 32 bits, done in floating point: 2v for v >= 0, -2v - 1 for
  // v < 0. Exact for every |v| < 2^52.
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

export function sizeOfVarlong(value: number): number {
  let v = zigZagLong(value);
  let bytes = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    bytes++;
  }
  return bytes;
}

export function writeVarlong(buf: Uint8Array, pos: number, value: number): number {
  if (value >= -0x40000000 && value < 0x40000000) return writeVarint(buf, pos, value);
  let v = zigZagLong(value);
  while (v >= 0x80) {
    buf[pos++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
  return pos;
}
