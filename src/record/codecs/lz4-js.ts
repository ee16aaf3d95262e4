import { asBuffer } from '../batch.js';
import { corrupt } from './codec.js';

/**
 * LZ4 frames in plain JavaScript: the fallback when the optional `lz4-napi` is not
 * installed. It writes what Kafka's Java producer writes (version 01, independent 64 KiB
 * blocks, no checksums, no content size) and reads every frame `lz4OutputBound` accepts.
 *
 * Why independent blocks matter: Kafka's `Lz4BlockInputStream` decompresses each block on
 * its own into a fresh buffer, so a match reaching back into the previous block (what
 * "linked blocks" allows) would read garbage there. Each block here is compressed with
 * its own hash table, so no match crosses a block boundary.
 *
 * The compressor is LZ4's greedy one: hash each 4-byte sequence, take the last position
 * with the same hash if its 4 bytes match, extend the match forward. The block format's
 * end rules hold: the last 5 bytes of a block are literals, and no match starts in the
 * last 12 bytes.
 * @internal
 */
const frameMagic = 0x184d2204;
/** FLG: version 01, independent blocks, no block checksum, no content size or checksum. */
const frameFlags = 0x60;
/** BD: block maximum 64 KiB (id 4). */
const frameBlockDescriptor = 0x40;
/**
 * HC: the second byte of xxHash32 (seed 0) of FLG and BD. Fixed, as FLG and BD are; the
 * codec tests check it against the native library's frames.
 */
const frameHeaderChecksum = 0x82;
const blockBytesMax = 64 * 1024;
const blockUncompressedBit = 0x80000000;
const minMatch = 4;
/** No match may start within the last 12 bytes of a block (LZ4's MFLIMIT). */
const matchStartMargin = 12;
/** The last 5 bytes of a block are always literals (LZ4's LASTLITERALS). */
const lastLiterals = 5;
const hashBits = 14;
const offsetMax = 65535;

const flagBlockChecksum = 0x10;
const flagContentSize = 0x08;
const flagContentChecksum = 0x04;
const flagDictId = 0x01;
const skippableMagicMask = 0xfffffff0;
const skippableMagic = 0x184d2a50;

/** Compresses `data` as one LZ4 frame of independent 64 KiB blocks. */
export function lz4CompressFrameJs(data: Uint8Array): Buffer {
  const src = asBuffer(data);
  const blocks = Math.ceil(src.length / blockBytesMax);
  // Worst case per block: its bytes stored plainly, plus its 4-byte size.
  const out = Buffer.allocUnsafe(7 + src.length + 4 * blocks + 4);
  out.writeUInt32LE(frameMagic, 0);
  out[4] = frameFlags;
  out[5] = frameBlockDescriptor;
  out[6] = frameHeaderChecksum;
  let pos = 7;
  const scratch = Buffer.allocUnsafe(blockBytesMax + Math.ceil(blockBytesMax / 255) + 16);
  const table = new Int32Array(1 << hashBits);
  for (let start = 0; start < src.length; start += blockBytesMax) {
    const end = Math.min(start + blockBytesMax, src.length);
    table.fill(-1);
    const size = compressBlock(src, start, end, scratch, table);
    if (size < end - start) {
      out.writeUInt32LE(size, pos);
      scratch.copy(out, pos + 4, 0, size);
      pos += 4 + size;
    } else {
      out.writeUInt32LE((blockUncompressedBit | (end - start)) >>> 0, pos);
      src.copy(out, pos + 4, start, end);
      pos += 4 + end - start;
    }
  }
  out.writeUInt32LE(0, pos);
  return out.subarray(0, pos + 4);
}

function writeLength(dst: Buffer, pos: number, extra: number): number {
  while (extra >= 255) {
    dst[pos++] = 255;
    extra -= 255;
  }
  dst[pos++] = extra;
  return pos;
}

/** Compresses src[start, end) as one LZ4 block into dst; returns its size. */
function compressBlock(src: Buffer, start: number, end: number, dst: Buffer, table: Int32Array): number {
  let out = 0;
  let anchor = start;
  let i = start;
  let misses = 0;
  const lastMatchStart = end - matchStartMargin;
  const matchEndMax = end - lastLiterals;
  while (i <= lastMatchStart) {
    const seq = src.readUInt32LE(i);
    const slot = Math.imul(seq, 2654435761) >>> (32 - hashBits);
    const ref = table[slot]!;
    table[slot] = i;
    if (ref < 0 || i - ref > offsetMax || src.readUInt32LE(ref) !== seq) {
      // Incompressible stretches are skipped ever faster, as LZ4 itself does.
      i += 1 + (misses++ >> 6);
      continue;
    }
    misses = 0;
    let length = minMatch;
    while (i + length < matchEndMax && src[ref + length] === src[i + length]) length++;
    const literals = i - anchor;
    const matchExtra = length - minMatch;
    dst[out++] = (Math.min(literals, 15) << 4) | Math.min(matchExtra, 15);
    if (literals >= 15) out = writeLength(dst, out, literals - 15);
    src.copy(dst, out, anchor, i);
    out += literals;
    dst[out++] = (i - ref) & 0xff;
    dst[out++] = (i - ref) >> 8;
    if (matchExtra >= 15) out = writeLength(dst, out, matchExtra - 15);
    i += length;
    anchor = i;
  }
  const literals = end - anchor;
  dst[out++] = Math.min(literals, 15) << 4;
  if (literals >= 15) out = writeLength(dst, out, literals - 15);
  src.copy(dst, out, anchor, end);
  return out + literals;
}

/**
 * Decompresses every LZ4 frame in `data` (skippable frames skipped) into at most
 * `bound` bytes, the caller's `lz4OutputBound`. Every read and write is checked: a
 * malformed block is `CORRUPT_MESSAGE`, never a read past the input or a write past the
 * output. Checksums are not verified: the batch's CRC-32C already covers these bytes.
 */
export function lz4DecompressFrameJs(data: Uint8Array, bound: number): Buffer {
  const src = asBuffer(data);
  const dst = Buffer.allocUnsafe(bound);
  let s = 0;
  let d = 0;
  const need = (bytes: number, what: string): void => {
    if (src.length - s < bytes) throw corrupt('lz4', `${what} runs past the end`);
  };
  while (s < src.length) {
    need(4, 'frame magic');
    const magic = src.readUInt32LE(s);
    if ((magic & skippableMagicMask) >>> 0 === skippableMagic) {
      need(8, 'skippable frame');
      s += 8 + src.readUInt32LE(s + 4);
      continue;
    }
    if (magic !== frameMagic) throw corrupt('lz4', `bad frame magic 0x${magic.toString(16)}`);
    need(7, 'frame descriptor');
    const flags = src[s + 4]!;
    s += 6 + (flags & flagContentSize ? 8 : 0) + (flags & flagDictId ? 4 : 0) + 1;
    const blockTrailer = flags & flagBlockChecksum ? 4 : 0;
    for (;;) {
      need(4, 'block size');
      const word = src.readUInt32LE(s);
      s += 4;
      if (word === 0) break;
      const size = (word & ~blockUncompressedBit) >>> 0;
      need(size + blockTrailer, 'block');
      if ((word & blockUncompressedBit) !== 0) {
        if (d + size > dst.length) throw corrupt('lz4', 'output runs past its bound');
        src.copy(dst, d, s, s + size);
        d += size;
      } else {
        d = decompressBlock(src, s, s + size, dst, d);
      }
      s += size + blockTrailer;
    }
    if (flags & flagContentChecksum) {
      need(4, 'content checksum');
      s += 4;
    }
  }
  return dst.subarray(0, d);
}

function readLength(src: Buffer, s: number, end: number): [number, number] {
  let length = 0;
  for (;;) {
    if (s >= end) throw corrupt('lz4', 'a length runs past the end of its block');
    const byte = src[s++]!;
    length += byte;
    if (byte !== 255) return [length, s];
  }
}

/** Decompresses the block src[s, end) into dst at d; matches may reach back only within this block. */
function decompressBlock(src: Buffer, s: number, end: number, dst: Buffer, d: number): number {
  const blockStart = d;
  for (;;) {
    if (s >= end) throw corrupt('lz4', 'a block ends without its last literals');
    const token = src[s++]!;
    let literals = token >> 4;
    if (literals === 15) {
      const [extra, next] = readLength(src, s, end);
      literals += extra;
      s = next;
    }
    if (literals > end - s) throw corrupt('lz4', 'literals run past the end of their block');
    if (literals > dst.length - d) throw corrupt('lz4', 'output runs past its bound');
    // Short runs by hand: a Buffer.copy call costs more than a few byte moves.
    if (literals < 16) for (let k = 0; k < literals; k++) dst[d++] = src[s++]!;
    else {
      src.copy(dst, d, s, s + literals);
      s += literals;
      d += literals;
    }
    if (s === end) return d;
    if (end - s < 2) throw corrupt('lz4', 'a match offset runs past the end of its block');
    const offset = src[s]! | (src[s + 1]! << 8);
    s += 2;
    if (offset === 0 || offset > d - blockStart) throw corrupt('lz4', `match offset ${offset} reaches before its block`);
    let length = token & 15;
    if (length === 15) {
      const [extra, next] = readLength(src, s, end);
      length += extra;
      s = next;
    }
    length += minMatch;
    if (length > dst.length - d) throw corrupt('lz4', 'output runs past its bound');
    if (offset >= length && length >= 16) {
      dst.copy(dst, d, d - offset, d - offset + length);
      d += length;
    } else {
      // Short or overlapping (a run repeating its last `offset` bytes): byte by byte.
      for (let k = 0; k < length; k++, d++) dst[d] = dst[d - offset]!;
    }
  }
}
