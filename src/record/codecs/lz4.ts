import { asBuffer } from '../batch.js';
import { loadNative } from '../../util/native.js';
import { corrupt, decompressedBytesMax, decompressFailed, outputTooLarge, type Codec } from './codec.js';
import { lz4CompressFrameJs, lz4DecompressFrameJs } from './lz4-js.js';

interface Lz4Module {
  compressFrame(data: Buffer): Promise<Buffer>;
  decompressFrame(data: Buffer): Promise<Buffer>;
  decompressFrameSync(data: Buffer): Buffer;
}

/** The optional native `lz4-napi`, loaded on first use; without it, `lz4-js.ts` serves. */
const native = (): Lz4Module | undefined => loadNative<Lz4Module>('lz4-napi');

/**
 * Kafka's lz4 is the standard LZ4 frame format (magic v2 batches never use the broken
 * header checksum of KAFKA-3160, which only magic v0 message sets carried). Kafka's
 * `Lz4BlockInputStream` reads a subset of it: version 01, independent blocks, no
 * dictionary id, block maximum 64 KiB to 4 MiB, optional block and content checksums and
 * content size, and it verifies the header checksum. `lz4-napi`'s `compressFrame`
 * (lz4_flex) writes exactly that subset: FLG 0x60 (version 01, independent blocks, no
 * checksums), 64 KiB or 256 KiB blocks. The codec tests check those bits on every frame.
 *
 * ```
 * frame  = magic 04 22 4D 18 | FLG | BD | [content size u64 LE] | [dict id u32 LE] | HC
 *          block* | end mark 00 00 00 00 | [content checksum u32]
 * block  = size u32 LE (high bit set: stored uncompressed) | data | [block checksum u32]
 * ```
 */
const frameMagic = 0x184d2204;
/** Skippable frames (magic 0x184D2A50 to 0x184D2A5F) carry no data for the decoder. */
const skippableMagicMask = 0xfffffff0;
const skippableMagic = 0x184d2a50;
const flagVersionShift = 6;
const flagBlockChecksum = 0x10;
const flagContentSize = 0x08;
const flagContentChecksum = 0x04;
const flagDictId = 0x01;
const blockUncompressedBit = 0x80000000;

/**
 * An upper bound on what an lz4 records section decompresses to, from its block headers
 * alone, so a decompression bomb is refused before any output is allocated. A block
 * stored uncompressed contributes its size; a compressed block contributes the frame's
 * block maximum, which its output can never exceed. So the bound is exact but for the
 * last compressed block of each frame, and walking the headers costs one read per block.
 *
 * Worked example: 1 MiB of zeros compresses into 16 blocks of 64 KiB, each about 270
 * bytes; the bound is 16 x 64 KiB = 1 MiB. A bomb that claims 10 GiB needs 163,840 such
 * blocks, so its bound is 10 GiB and it is refused after reading 163,840 headers.
 *
 * Throws `CORRUPT_MESSAGE` when the frame structure is malformed: bad magic, version,
 * block size, a block larger than the maximum, or data that runs past the end.
 * @internal
 */
export function lz4OutputBound(data: Uint8Array): number {
  const buf = asBuffer(data);
  let pos = 0;
  let bound = 0;
  const need = (bytes: number, what: string): void => {
    if (buf.length - pos < bytes) throw corrupt('lz4', `${what} runs past the end`);
  };
  do {
    need(4, 'frame magic');
    const magic = buf.readUInt32LE(pos);
    if ((magic & skippableMagicMask) >>> 0 === skippableMagic) {
      need(8, 'skippable frame');
      pos += 8 + buf.readUInt32LE(pos + 4);
      need(0, 'skippable frame');
      continue;
    }
    if (magic !== frameMagic) throw corrupt('lz4', `bad frame magic 0x${magic.toString(16)}`);
    need(7, 'frame descriptor');
    const flags = buf[pos + 4]!;
    const blockMaxId = (buf[pos + 5]! >> 4) & 7;
    if (flags >> flagVersionShift !== 1) throw corrupt('lz4', `frame version ${flags >> flagVersionShift}`);
    if (blockMaxId < 4) throw corrupt('lz4', `block maximum size id ${blockMaxId}`);
    const blockMax = 1 << (2 * blockMaxId + 8); // 4 -> 64 KiB ... 7 -> 4 MiB
    pos += 6 + (flags & flagContentSize ? 8 : 0) + (flags & flagDictId ? 4 : 0) + 1;
    const blockTrailer = flags & flagBlockChecksum ? 4 : 0;
    for (;;) {
      need(4, 'block size');
      const word = buf.readUInt32LE(pos);
      pos += 4;
      if (word === 0) break; // end mark
      const size = (word & ~blockUncompressedBit) >>> 0;
      if (size > blockMax) throw corrupt('lz4', `block of ${size} bytes is over the frame's ${blockMax}-byte maximum`);
      need(size + blockTrailer, 'block');
      bound += (word & blockUncompressedBit) !== 0 ? size : blockMax;
      pos += size + blockTrailer;
    }
    if (flags & flagContentChecksum) {
      need(4, 'content checksum');
      pos += 4;
    }
  } while (pos < buf.length);
  return bound;
}

function checkedBound(data: Uint8Array): number {
  const bound = lz4OutputBound(data);
  if (bound > decompressedBytesMax) throw outputTooLarge('lz4', bound);
  return bound;
}

/** lz4, as one standard LZ4 frame (see above): `lz4-napi` when installed, else JavaScript. */
export const lz4Codec: Codec = {
  name: 'lz4',
  async compress(data) {
    const lib = native();
    return lib === undefined ? lz4CompressFrameJs(data) : lib.compressFrame(asBuffer(data));
  },
  async decompress(data) {
    const bound = checkedBound(data);
    const lib = native();
    if (lib === undefined) return lz4DecompressFrameJs(data, bound);
    let out: Buffer;
    try {
      out = await lib.decompressFrame(asBuffer(data));
    } catch (cause) {
      throw decompressFailed('lz4', cause);
    }
    // The bound holds by the format; if the library ever disagreed, that is its bug.
    if (out.length > bound) throw outputTooLarge('lz4', out.length);
    return out;
  },
};

/**
 * Decompresses an lz4 records section synchronously (for checks that run inside a
 * synchronous append), with the same bound and errors as {@link lz4Codec}.
 * @internal
 */
export function lz4DecompressSync(data: Uint8Array): Buffer {
  const bound = checkedBound(data);
  const lib = native();
  if (lib === undefined) return lz4DecompressFrameJs(data, bound);
  let out: Buffer;
  try {
    out = lib.decompressFrameSync(asBuffer(data));
  } catch (cause) {
    throw decompressFailed('lz4', cause);
  }
  if (out.length > bound) throw outputTooLarge('lz4', out.length);
  return out;
}
