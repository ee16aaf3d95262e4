import { asBuffer } from '../batch.js';
import { TributaryError } from '../../util/errors.js';
import { loadDependency, loadNative } from '../../util/native.js';
import { corrupt, decompressedBytesMax, decompressFailed, outputTooLarge, type Codec } from './codec.js';

interface ZstdModule {
  compress(data: Buffer, level?: number): Promise<Buffer>;
  decompress(data: Buffer): Promise<Buffer>;
}

interface Fzstd {
  decompress(data: Uint8Array, out?: Uint8Array): Uint8Array;
}

/**
 * zstd has two implementations here. The optional native `@mongodb-js/zstd` compresses and
 * decompresses. Without it, `fzstd` (pure JavaScript, decompression only) still reads
 * every zstd batch a Kafka client sends, and compressing is refused with
 * UNSUPPORTED_COMPRESSION_TYPE naming the package: no maintained JavaScript zstd
 * compressor exists. Why `@mongodb-js/zstd` 1.x: later majors fetch their binary from
 * GitHub at install time (prebuild-install) and build from source when that fails,
 * where 1.x ships prebuilt binaries as registry packages.
 */
const nativePackage = '@mongodb-js/zstd';
const native = (): ZstdModule | undefined => loadNative<ZstdModule>(nativePackage);
/**
 * The package's napi binding itself, for compressing at a level: the package's
 * `index.js` (1.2.2) declares `compress(data, level)` but calls the binding with `data`
 * alone, so a level given there is dropped and every call compresses at zstd's default 3.
 * The binding takes the level. Without it (a 1.x release laid out otherwise), compressing
 * goes through `index.js` at level 3 whatever was asked: see {@link zstdLevelsApplied}.
 */
const binding = (): ZstdModule | undefined => (native() === undefined ? undefined : loadNative<ZstdModule>(`${nativePackage}/bindings`));

/**
 * Whether zstd compression here honours a level (the native binding is loaded), so that a
 * topic's `compression.zstd.level` is applied rather than zstd's default 3.
 * @internal
 */
export function zstdLevelsApplied(): boolean {
  return binding() !== undefined;
}

function decompressJs(data: Uint8Array, bound: number): Buffer {
  let out: Uint8Array;
  try {
    out = loadDependency<Fzstd>('fzstd').decompress(asBuffer(data));
  } catch (cause) {
    throw decompressFailed('zstd', cause);
  }
  if (out.length > bound) throw outputTooLarge('zstd', out.length);
  return Buffer.from(out.buffer, out.byteOffset, out.length);
}

/** The level Kafka uses by default (`compression.zstd.level`, zstd's own default). */
const zstdDefaultLevel = 3;

/**
 * zstd frames (RFC 8878, section 3.1):
 *
 * ```
 * frame   = magic 28 B5 2F FD | descriptor | [window] | [dict id] | [content size]
 *           block* (the last one flagged) | [checksum u32]
 * block   = header u24 LE (bit 0 last, bits 1-2 type, bits 3-23 size) | content
 * skippable frame = magic 0x184D2A5? | size u32 LE | size bytes
 * ```
 */
const frameMagic = 0xfd2fb528;
const skippableMagicMask = 0xfffffff0;
const skippableMagic = 0x184d2a50;
/** No block decompresses to more than this, whatever the window (RFC 8878, 3.1.1.2.3). */
const blockSizeMax = 128 * 1024;
/**
 * The largest window a frame may ask for: 128 MiB, zstd's own default limit for decoders
 * (`ZSTD_WINDOWLOG_LIMIT_DEFAULT`, 2^27), which Kafka's zstd-jni also applies. A decoder
 * allocates the window up front, so a 4-byte header claiming a 2 GiB window would
 * otherwise cost 2 GiB before a single block is read.
 */
const windowBytesMax = 2 ** 27;
const blockRaw = 0;
const blockRle = 1;
const blockCompressed = 2;

/**
 * An upper bound on what a zstd records section decompresses to, from its frame and
 * block headers alone, so a decompression bomb is refused before any output is
 * allocated. Why not trust the frame's content size: it is optional, and neither
 * Kafka's Java producer (zstd-jni streaming) nor `@mongodb-js/zstd` writes it. Instead,
 * raw and RLE blocks state their output size, and a compressed block's output is at
 * most the block maximum, min(window size, 128 KiB). The bound is exact but for the
 * last compressed block of each frame.
 *
 * Worked example: an RLE block is 4 bytes and may stand for 128 KiB, a ratio of 32,768;
 * a 1 MiB batch of them claims 32 GiB, which this bound sees from the headers alone
 * (262,144 of them), where a decompressor would have started allocating.
 *
 * Throws `CORRUPT_MESSAGE` when the structure is malformed: bad magic, reserved bits or
 * block type, or data that runs past the end.
 * @internal
 */
export function zstdOutputBound(data: Uint8Array): number {
  const buf = asBuffer(data);
  let pos = 0;
  let bound = 0;
  const need = (bytes: number, what: string): void => {
    if (buf.length - pos < bytes) throw corrupt('zstd', `${what} runs past the end`);
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
    if (magic !== frameMagic) throw corrupt('zstd', `bad frame magic 0x${magic.toString(16)}`);
    need(5, 'frame header');
    const descriptor = buf[pos + 4]!;
    pos += 5;
    const contentSizeFlag = descriptor >> 6;
    const singleSegment = (descriptor & 0x20) !== 0;
    if ((descriptor & 0x08) !== 0) throw corrupt('zstd', 'reserved frame header bit is set');
    const hasChecksum = (descriptor & 0x04) !== 0;
    const dictIdBytes = [0, 1, 2, 4][descriptor & 3]!;
    let windowSize = 0;
    if (!singleSegment) {
      need(1, 'window descriptor');
      const exponent = buf[pos]! >> 3;
      const mantissa = buf[pos]! & 7;
      const base = 2 ** (10 + exponent);
      windowSize = base + (base / 8) * mantissa;
      pos += 1;
    }
    const contentSizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][contentSizeFlag]!;
    need(dictIdBytes + contentSizeBytes, 'frame header');
    pos += dictIdBytes;
    if (singleSegment) {
      // With a single segment the window is the whole content, whose size is given.
      const at = pos;
      windowSize =
        contentSizeBytes === 1 ? buf[at]! : contentSizeBytes === 2 ? buf.readUInt16LE(at) + 256 : contentSizeBytes === 4 ? buf.readUInt32LE(at) : buf.readUInt32LE(at) + buf.readUInt32LE(at + 4) * 2 ** 32;
    }
    pos += contentSizeBytes;
    if (windowSize > windowBytesMax) throw corrupt('zstd', `window of ${windowSize} bytes is over the ${windowBytesMax}-byte maximum`);
    const blockMax = Math.min(windowSize, blockSizeMax);
    for (;;) {
      need(3, 'block header');
      const header = buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16);
      pos += 3;
      const last = (header & 1) !== 0;
      const type = (header >> 1) & 3;
      const size = header >>> 3;
      if (type === blockRaw) {
        need(size, 'raw block');
        bound += size;
        pos += size;
      } else if (type === blockRle) {
        need(1, 'RLE block');
        bound += size;
        pos += 1;
      } else if (type === blockCompressed) {
        need(size, 'compressed block');
        bound += blockMax;
        pos += size;
      } else {
        throw corrupt('zstd', 'reserved block type');
      }
      if (last) break;
    }
    if (hasChecksum) {
      need(4, 'content checksum');
      pos += 4;
    }
  } while (pos < buf.length);
  return bound;
}

function checkedBound(data: Uint8Array): number {
  const bound = zstdOutputBound(data);
  if (bound > decompressedBytesMax) throw outputTooLarge('zstd', bound);
  return bound;
}

/** zstd, one frame per records section, at the level given (Kafka's `compression.zstd.level` scale) or Kafka's default 3. */
export const zstdCodec: Codec = {
  name: 'zstd',
  async compress(data, level) {
    const lib = native();
    if (lib === undefined) {
      throw new TributaryError('UNSUPPORTED_COMPRESSION_TYPE', `zstd compression needs the optional package ${nativePackage} (reading zstd batches does not): npm install ${nativePackage}`);
    }
    const input = asBuffer(data);
    const leveled = level === undefined || level === zstdDefaultLevel ? undefined : binding();
    return leveled === undefined ? lib.compress(input, zstdDefaultLevel) : leveled.compress(input, level);
  },
  async decompress(data) {
    const bound = checkedBound(data);
    const lib = native();
    if (lib === undefined) return decompressJs(data, bound);
    let out: Buffer;
    try {
      out = await lib.decompress(asBuffer(data));
    } catch (cause) {
      throw decompressFailed('zstd', cause);
    }
    if (out.length > bound) throw outputTooLarge('zstd', out.length);
    return out;
  },
};

/**
 * Decompresses a zstd records section synchronously (for checks that run inside a
 * synchronous append), with the same bound and errors as {@link zstdCodec}. The native
 * package has no synchronous call, so this is always the JavaScript decoder.
 * @internal
 */
export function zstdDecompressSync(data: Uint8Array): Buffer {
  return decompressJs(data, checkedBound(data));
}
