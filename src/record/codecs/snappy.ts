import { ByteReader } from '../../util/byte-reader.js';
import { asBuffer } from '../batch.js';
import { loadDependency, loadNative } from '../../util/native.js';
import { corrupt, decompressedBytesMax, decompressFailed, outputTooLarge, type Codec } from './codec.js';
import { uncompressRawSnappy } from './snappy-raw.js';

/** What a snappy implementation offers, on raw (unframed) snappy blocks. */
interface Snappy {
  compress(data: Buffer): Promise<Buffer>;
  uncompress(block: Buffer): Promise<Buffer>;
  uncompressSync(block: Buffer): Buffer;
}

interface SnappyNative {
  compress(data: Buffer): Promise<Buffer>;
  uncompress(data: Buffer, options: { asBuffer: true }): Promise<Buffer>;
  uncompressSync(data: Buffer, options: { asBuffer: true }): Buffer;
}

interface SnappyJs {
  compress(data: Buffer): Buffer;
}

let implementation: Snappy | undefined;

/**
 * The optional native `snappy` package (napi-rs, prebuilt for every common platform) when
 * installed; otherwise `snappyjs`, the pure JavaScript implementation KafkaJS's own snappy
 * codec uses; slower, but it reads and writes the same raw blocks.
 */
function snappy(): Snappy {
  if (implementation !== undefined) return implementation;
  const lib = loadNative<SnappyNative>('snappy');
  if (lib !== undefined) {
    implementation = {
      compress: (data) => lib.compress(data),
      uncompress: (block) => lib.uncompress(block, { asBuffer: true }),
      uncompressSync: (block) => lib.uncompressSync(block, { asBuffer: true }),
    };
  } else {
    const js = loadDependency<SnappyJs>('snappyjs');
    implementation = {
      compress: async (data) => js.compress(data),
      // Not snappyjs's decoder: it loops forever on some garbage (snappy-raw.ts).
      uncompress: async (block) => uncompressRawSnappy(block),
      uncompressSync: (block) => uncompressRawSnappy(block),
    };
  }
  return implementation;
}

/**
 * The stream header of xerial snappy-java's `SnappyOutputStream`, which Kafka's Java
 * producer uses for snappy batches:
 *
 * ```
 * 0   magic                 0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00
 * 8   version               int32 BE (1)
 * 12  compatible version    int32 BE (1)
 * 16  blocks                repeated [int32 BE length][raw snappy block]
 * ```
 *
 * Java writes blocks of at most 32 KiB of input each. librdkafka and KafkaJS send one
 * raw snappy block with no framing instead; Java's `SnappyInputStream` reads those too
 * (it falls back to a raw block when the magic is absent), and so does this codec.
 */
const xerialMagic = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const xerialHeaderBytes = 16;
const xerialVersion = 1;
const xerialCompatibleVersion = 1;
/** Input bytes per block in `snappyXerialFrame`, as snappy-java's default. */
const xerialBlockBytes = 32 * 1024;

function isXerial(buf: Buffer): boolean {
  return buf.length >= xerialHeaderBytes && buf.compare(xerialMagic, 0, xerialMagic.length, 0, xerialMagic.length) === 0;
}

/** The raw snappy blocks of a records section: the xerial stream's blocks, or the whole input. */
function snappyBlocks(buf: Buffer): Buffer[] {
  if (!isXerial(buf)) return [buf];
  const blocks: Buffer[] = [];
  let pos = xerialHeaderBytes;
  while (pos < buf.length) {
    if (buf.length - pos < 4) throw corrupt('snappy', 'xerial block length is truncated');
    const length = buf.readInt32BE(pos);
    pos += 4;
    if (length < 0 || length > buf.length - pos) throw corrupt('snappy', `xerial block of ${length} bytes runs past the end`);
    blocks.push(buf.subarray(pos, pos + length));
    pos += length;
  }
  return blocks;
}

/**
 * The most a snappy block can expand: its densest element is a copy with a 2-byte offset,
 * 3 bytes that emit up to 64 (21.3x); a 4-byte-offset copy emits 64 from 5 bytes, a
 * 1-byte-offset one 11 from 2. So a block of n bytes never decompresses to more than 22n.
 * Worked example: a 200-byte block that declares 50 MiB is garbage, and refusing it here
 * spares the decoder (the JavaScript fallback above all) from allocating and filling 50 MiB
 * before it finds out.
 */
const snappyExpansionMax = 22;

function declaredLength(block: Buffer): number {
  // A block that does not start with its length is CORRUPT_MESSAGE from the reader.
  return new ByteReader(block, 'CORRUPT_MESSAGE', 0, block.length, 'corrupt snappy block length').unsignedVarint();
}

/**
 * The exact number of bytes a snappy records section (raw or xerial-framed) decompresses
 * to, read from the length each raw block declares up front (its leading varint), so
 * the output can be refused before it is allocated.
 * @internal
 */
export function snappyOutputBound(data: Uint8Array): number {
  let total = 0;
  for (const block of snappyBlocks(asBuffer(data))) total += declaredLength(block);
  return total;
}

function checkedBlocks(data: Uint8Array): Buffer[] {
  const blocks = snappyBlocks(asBuffer(data));
  let bound = 0;
  for (const block of blocks) bound += declaredLength(block);
  if (bound > decompressedBytesMax) throw outputTooLarge('snappy', bound);
  for (const block of blocks) {
    const declared = declaredLength(block);
    if (declared > block.length * snappyExpansionMax) throw corrupt('snappy', `a block of ${block.length} bytes cannot decompress to the ${declared} it declares`);
  }
  return blocks;
}

/** snappy, raw blocks on compression; raw or xerial-framed on decompression. */
export const snappyCodec: Codec = {
  name: 'snappy',
  async compress(data) {
    return snappy().compress(asBuffer(data));
  },
  async decompress(data) {
    const blocks = checkedBlocks(data);
    const lib = snappy();
    const out: Buffer[] = [];
    for (const block of blocks) {
      try {
        out.push(await lib.uncompress(block));
      } catch (cause) {
        throw decompressFailed('snappy', cause);
      }
    }
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  },
};

/**
 * Decompresses a snappy records section (raw or xerial-framed) synchronously, for checks
 * that run inside a synchronous append, with the same bound and errors as {@link snappyCodec}.
 * @internal
 */
export function snappyDecompressSync(data: Uint8Array): Buffer {
  const blocks = checkedBlocks(data);
  const lib = snappy();
  try {
    const out = blocks.map((block) => lib.uncompressSync(block));
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  } catch (cause) {
    throw decompressFailed('snappy', cause);
  }
}

/**
 * Compresses `data` as a xerial snappy-java stream, the form Kafka's Java producer
 * sends. Tributary's own producer sends raw blocks (as librdkafka does); this exists so
 * tests and tools can produce what Java clients produce.
 * @internal
 */
export async function snappyXerialFrame(data: Uint8Array, blockBytes = xerialBlockBytes): Promise<Buffer> {
  const lib = snappy();
  const header = Buffer.alloc(xerialHeaderBytes);
  xerialMagic.copy(header, 0);
  header.writeInt32BE(xerialVersion, 8);
  header.writeInt32BE(xerialCompatibleVersion, 12);
  const parts: Buffer[] = [header];
  const buf = asBuffer(data);
  for (let pos = 0; pos < buf.length; pos += blockBytes) {
    const block = await lib.compress(buf.subarray(pos, pos + blockBytes));
    const length = Buffer.allocUnsafe(4);
    length.writeInt32BE(block.length);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}
