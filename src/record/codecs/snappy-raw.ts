import { corrupt } from './codec.js';

/**
 * Decompresses one raw snappy block (a varint of the output length, then literal and copy
 * elements) in JavaScript, for when the native `snappy` package is missing. It replaces
 * `snappyjs`'s decoder, which loops forever on some garbage: a literal whose 4-byte
 * length has its top bit set reads as a negative length there and moves its position
 * backwards (a crafted batch over TCP would hang the broker's thread). Here every length
 * and offset is checked before it is used: a block that runs past its end, copies from
 * before the output's start or writes past its declared length is `CORRUPT_MESSAGE`.
 * The caller has bounded the declared length (`checkedBlocks` in `snappy.ts`).
 * @internal
 */
export function uncompressRawSnappy(block: Uint8Array): Buffer {
  const end = block.length;
  let pos = 0;
  let length = 0;
  for (let shift = 0; ; shift += 7) {
    if (pos >= end || shift > 28) throw corrupt('snappy', 'the block length is truncated or too long');
    const b = block[pos++]!;
    length += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  const out = Buffer.allocUnsafe(length);
  let o = 0;
  while (pos < end) {
    const tag = block[pos++]!;
    let len: number;
    if ((tag & 3) === 0) {
      // A literal: its length - 1 in the tag, or in the 1 to 4 bytes after it.
      len = tag >>> 2;
      if (len >= 60) {
        const bytes = len - 59;
        if (pos + bytes > end) throw corrupt('snappy', 'a literal length runs past the end of the block');
        len = 0;
        for (let i = 0; i < bytes; i++) len += block[pos + i]! * 2 ** (8 * i);
        pos += bytes;
      }
      len += 1;
      if (len > end - pos || len > length - o) throw corrupt('snappy', 'a literal runs past the end of the block or of its declared length');
      out.set(block.subarray(pos, pos + len), o);
      pos += len;
      o += len;
      continue;
    }
    let offset: number;
    if ((tag & 3) === 1) {
      if (pos >= end) throw corrupt('snappy', 'a copy runs past the end of the block');
      len = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | block[pos++]!;
    } else if ((tag & 3) === 2) {
      if (pos + 2 > end) throw corrupt('snappy', 'a copy runs past the end of the block');
      len = (tag >>> 2) + 1;
      offset = block[pos]! | (block[pos + 1]! << 8);
      pos += 2;
    } else {
      if (pos + 4 > end) throw corrupt('snappy', 'a copy runs past the end of the block');
      len = (tag >>> 2) + 1;
      offset = block[pos]! + block[pos + 1]! * 0x100 + block[pos + 2]! * 0x10000 + block[pos + 3]! * 0x1000000;
      pos += 4;
    }
    if (offset === 0 || offset > o) throw corrupt('snappy', `a copy from ${offset} bytes back, with ${o} bytes written`);
    if (len > length - o) throw corrupt('snappy', 'a copy runs past the declared length');
    // Byte by byte: a copy may overlap what it writes (a run repeats its last bytes).
    for (let i = 0; i < len; i++) out[o + i] = out[o + i - offset]!;
    o += len;
  }
  if (o !== length) throw corrupt('snappy', `the block declares ${length} bytes and holds ${o}`);
  return out;
}
