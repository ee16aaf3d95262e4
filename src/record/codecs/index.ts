import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { TributaryError } from '../../util/errors.js';
import { Reader } from '../../util/varint.js';
import {
  assembleBatch,
  asBuffer,
  batchHeaderBytes,
  batchLogOverheadBytes,
  compressionOf,
  decodeRecordsSection,
  encodeRecords,
  iterateBatches,
  readBatchHeader,
  type BatchOptions,
  type CompressionType,
  type DecodedRecord,
  type RecordInput,
} from '../batch.js';

/**
 * Compression codecs for record batches. Kafka compresses a batch's records section as
 * one block; the header stays plain. gzip comes from Node's zlib; snappy, lz4 and zstd
 * from prebuilt native packages (`@napi-rs/snappy`, `lz4-napi`, `@mongodb-js/zstd`) that
 * are optional dependencies, loaded on first use: an install without them still reads
 * and writes uncompressed and gzip batches, and a batch in a missing codec fails with
 * `UNSUPPORTED_COMPRESSION_TYPE` naming the package to install.
 */
export interface Codec {
  readonly name: CompressionType;
  compress(data: Uint8Array): Promise<Buffer>;
  /** Decompresses, refusing output over `decompressedBytesMax` with `CORRUPT_MESSAGE`. */
  decompress(data: Uint8Array): Promise<Buffer>;
}

/**
 * The most bytes one batch may decompress to. Kafka caps a request at 100 MiB; a batch
 * that claims more is a decompression bomb or garbage, and is refused before the memory
 * is allocated where the format says its size up front (snappy, zstd) and as soon as
 * the output passes it otherwise (gzip).
 */
export const decompressedBytesMax = 128 * 1024 * 1024;

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

function tooLarge(codec: string): TributaryError {
  return new TributaryError('CORRUPT_MESSAGE', `${codec} batch decompresses to more than ${decompressedBytesMax} bytes`);
}

function corrupt(codec: string, cause: unknown): TributaryError {
  return new TributaryError('CORRUPT_MESSAGE', `${codec} batch cannot be decompressed: ${String((cause as Error)?.message ?? cause)}`, { cause });
}

async function load<T>(pkg: string, codec: CompressionType): Promise<T> {
  try {
    // These packages are CommonJS: an ESM import puts module.exports on `default`.
    const mod = (await import(pkg)) as { default?: T } & T;
    return mod.default ?? mod;
  } catch (cause) {
    throw new TributaryError('UNSUPPORTED_COMPRESSION_TYPE', `${codec} needs the optional package ${pkg}: npm install ${pkg}`, { cause });
  }
}

const gzipCodec: Codec = {
  name: 'gzip',
  compress: (data) => gzipAsync(data),
  async decompress(data) {
    try {
      return await gunzipAsync(data, { maxOutputLength: decompressedBytesMax });
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge('gzip');
      throw corrupt('gzip', cause);
    }
  },
};

interface SnappyModule {
  compress(data: Buffer): Promise<Buffer>;
  uncompress(data: Buffer, options?: { asBuffer?: boolean }): Promise<Buffer | string>;
}

/**
 * The xerial snappy-java stream header that Java clients (and librdkafka) write: magic
 * `\x82SNAPPY\0`, then a version and a compatible-version int32, then blocks each
 * prefixed by a big-endian int32 length.
 */
const xerialMagic = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const xerialHeaderBytes = 16;

/** The uncompressed length a raw snappy block declares (its leading varint). */
function snappyDeclaredLength(block: Buffer): number {
  const n = new Reader(block).unsignedVarint();
  if (n === undefined) throw new TributaryError('CORRUPT_MESSAGE', 'snappy block has no length');
  return n;
}

const snappyCodec: Codec = {
  name: 'snappy',
  async compress(data) {
    const snappy = await load<SnappyModule>('@napi-rs/snappy', 'snappy');
    return snappy.compress(asBuffer(data));
  },
  async decompress(data) {
    const snappy = await load<SnappyModule>('@napi-rs/snappy', 'snappy');
    const buf = asBuffer(data);
    const blocks: Buffer[] = [];
    if (buf.length >= xerialHeaderBytes && buf.subarray(0, 8).equals(xerialMagic)) {
      let pos = xerialHeaderBytes;
      while (pos < buf.length) {
        if (pos + 4 > buf.length) throw new TributaryError('CORRUPT_MESSAGE', 'xerial snappy frame is truncated');
        const len = buf.readInt32BE(pos);
        pos += 4;
        if (len < 0 || pos + len > buf.length) throw new TributaryError('CORRUPT_MESSAGE', 'xerial snappy block is truncated');
        blocks.push(buf.subarray(pos, pos + len));
        pos += len;
      }
    } else {
      blocks.push(buf);
    }
    let total = 0;
    for (const b of blocks) total += snappyDeclaredLength(b);
    if (total > decompressedBytesMax) throw tooLarge('snappy');
    const out: Buffer[] = [];
    for (const b of blocks) {
      try {
        out.push((await snappy.uncompress(b, { asBuffer: true })) as Buffer);
      } catch (cause) {
        throw corrupt('snappy', cause);
      }
    }
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  },
};

/** Wraps a block of data as a Java-compatible xerial snappy stream (what Kafka's Java producer sends). */
export async function snappyXerialFrame(data: Uint8Array, blockBytes = 32 * 1024): Promise<Buffer> {
  const snappy = await load<SnappyModule>('@napi-rs/snappy', 'snappy');
  const parts: Buffer[] = [xerialMagic, Buffer.from([0, 0, 0, 1, 0, 0, 0, 1])];
  for (let pos = 0; pos < data.length; pos += blockBytes) {
    const block = await snappy.compress(asBuffer(data).subarray(pos, pos + blockBytes));
    const len = Buffer.allocUnsafe(4);
    len.writeInt32BE(block.length);
    parts.push(len, block);
  }
  return Buffer.concat(parts);
}

interface Lz4Module {
  compressFrame(data: Buffer): Promise<Buffer>;
  decompressFrame(data: Buffer): Promise<Buffer>;
}

const lz4Codec: Codec = {
  name: 'lz4',
  async compress(data) {
    const lz4 = await load<Lz4Module>('lz4-napi', 'lz4');
    return lz4.compressFrame(asBuffer(data));
  },
  async decompress(data) {
    const lz4 = await load<Lz4Module>('lz4-napi', 'lz4');
    let out: Buffer;
    try {
      out = await lz4.decompressFrame(asBuffer(data));
    } catch (cause) {
      throw corrupt('lz4', cause);
    }
    if (out.length > decompressedBytesMax) throw tooLarge('lz4');
    return out;
  },
};

interface ZstdModule {
  compress(data: Buffer, level?: number): Promise<Buffer>;
  decompress(data: Buffer): Promise<Buffer>;
}

/** The content size a zstd frame header declares, if it declares one (RFC 8878, 3.1.1.1). */
function zstdDeclaredSize(buf: Buffer): number | undefined {
  if (buf.length < 6 || buf.readUInt32LE(0) !== 0xfd2fb528) return undefined;
  const fhd = buf[4]!;
  const fcsFlag = fhd >> 6;
  const singleSegment = (fhd >> 5) & 1;
  const dictIdFlag = fhd & 3;
  let pos = 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][dictIdFlag]!;
  const fcsBytes = [singleSegment ? 1 : 0, 2, 4, 8][fcsFlag]!;
  if (fcsBytes === 0 || pos + fcsBytes > buf.length) return undefined;
  if (fcsBytes === 1) return buf[pos]!;
  if (fcsBytes === 2) return buf.readUInt16LE(pos) + 256;
  if (fcsBytes === 4) return buf.readUInt32LE(pos);
  return buf.readUInt32LE(pos) + buf.readUInt32LE(pos + 4) * 4294967296;
}

const zstdCodec: Codec = {
  name: 'zstd',
  async compress(data) {
    const zstd = await load<ZstdModule>('@mongodb-js/zstd', 'zstd');
    return zstd.compress(asBuffer(data), 3);
  },
  async decompress(data) {
    const zstd = await load<ZstdModule>('@mongodb-js/zstd', 'zstd');
    const declared = zstdDeclaredSize(asBuffer(data));
    if (declared !== undefined && declared > decompressedBytesMax) throw tooLarge('zstd');
    let out: Buffer;
    try {
      out = await zstd.decompress(asBuffer(data));
    } catch (cause) {
      throw corrupt('zstd', cause);
    }
    if (out.length > decompressedBytesMax) throw tooLarge('zstd');
    return out;
  },
};

const codecs: Record<Exclude<CompressionType, 'none'>, Codec> = {
  gzip: gzipCodec,
  snappy: snappyCodec,
  lz4: lz4Codec,
  zstd: zstdCodec,
};

/** The codec for a compression type. */
export function codecFor(type: Exclude<CompressionType, 'none'>): Codec {
  return codecs[type];
}

/** Options for {@link encodeBatch}: the batch header fields, and the codec. */
export interface EncodeBatchOptions extends BatchOptions {
  /** The codec for the records section. Default `none`. */
  readonly compression?: CompressionType;
}

/**
 * Encodes records as one Kafka v2 record batch, compressed with the given codec.
 *
 * @example
 * ```ts
 * import { encodeBatch, decodeBatch } from 'tributary';
 *
 * const batch = await encodeBatch([{ key: Buffer.from('user-1'), value: Buffer.from('{"n":1}') }], { compression: 'zstd' });
 * const [record] = await decodeBatch(batch);
 * console.log(record?.offset); // 0
 * ```
 */
export async function encodeBatch(records: readonly RecordInput[], options: EncodeBatchOptions = {}): Promise<Buffer> {
  if (records.length === 0) throw new TributaryError('INVALID_RECORD', 'a batch needs at least one record');
  const compression = options.compression ?? 'none';
  const { body, baseTimestamp, maxTimestamp } = encodeRecords(records, options.now ?? Date.now());
  const section = compression === 'none' ? body : await codecFor(compression).compress(body);
  return assembleBatch(section, records.length, baseTimestamp, maxTimestamp, compression, options);
}

/**
 * Decodes the records of the batch at `pos`, decompressing as its attributes say. Byte
 * fields of uncompressed batches are views into `bytes`; of compressed batches, into the
 * decompressed buffer. Throws `CORRUPT_MESSAGE` on malformed input.
 */
export async function decodeBatch(bytes: Uint8Array, pos = 0): Promise<DecodedRecord[]> {
  const buf = asBuffer(bytes);
  if (buf.length - pos < batchHeaderBytes) throw new TributaryError('CORRUPT_MESSAGE', 'record batch is shorter than its header');
  const header = readBatchHeader(buf, pos);
  const end = pos + header.batchLength + batchLogOverheadBytes;
  if (header.batchLength < batchHeaderBytes - batchLogOverheadBytes || end > buf.length) {
    throw new TributaryError('CORRUPT_MESSAGE', 'record batch length runs past the buffer');
  }
  const section = buf.subarray(pos + batchHeaderBytes, end);
  const compression = compressionOf(header.attributes);
  const body = compression === 'none' ? section : await codecFor(compression).decompress(section);
  return decodeRecordsSection(body, header);
}

/** Decodes every whole batch in a buffer of concatenated batches. */
export async function decodeBatches(bytes: Uint8Array): Promise<DecodedRecord[]> {
  const out: DecodedRecord[] = [];
  for (const slice of iterateBatches(bytes)) out.push(...(await decodeBatch(bytes, slice.position)));
  return out;
}
