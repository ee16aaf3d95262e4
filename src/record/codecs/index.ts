import { TributaryError } from '../../util/errors.js';
import {
  asBuffer,
  checkPosition,
  batchBytesMax,
  batchHeaderBytes,
  batchLogOverheadBytes,
  checkBatch,
  compressionOf,
  decodeRecordsSection,
  decodeRecordsSectionWith,
  encodeBatchUncompressed,
  encodeRecords,
  assembleBatch,
  positions,
  readBatchHeader,
  type BatchOptions,
  type CompressionType,
  type DecodedRecord,
  type RecordInput,
  type RecordMaker,
  type BatchHeader,
} from '../batch.js';
import { decodePartitionRecordsSection, openPartitionSection, type PartitionRecord, type PartitionSection } from '../partition-records.js';
import { checkBatchInput } from '../batch-input.js';
import type { Codec } from './codec.js';
import { gzipCodec } from './gzip.js';
import { lz4Codec } from './lz4.js';
import { snappyCodec } from './snappy.js';
import { zstdCodec } from './zstd.js';

export { decompressedBytesMax, type Codec } from './codec.js';
/** @internal */
export { snappyDecompressSync, snappyOutputBound, snappyXerialFrame } from './snappy.js';
/** @internal */
export { lz4DecompressSync, lz4OutputBound } from './lz4.js';
/** @internal */
export { zstdDecompressSync, zstdOutputBound } from './zstd.js';

/** The identity codec, so that every compression type has a codec. */
const noneCodec: Codec = {
  name: 'none',
  compress: async (data) => asBuffer(data),
  decompress: async (data) => asBuffer(data),
};

const codecs: Readonly<Record<CompressionType, Codec>> = {
  none: noneCodec,
  gzip: gzipCodec,
  snappy: snappyCodec,
  lz4: lz4Codec,
  zstd: zstdCodec,
};

/**
 * The codec for a compression type. The codecs with native packages (snappy, lz4, zstd)
 * load their optional package on first use and run in JavaScript without it, so asking
 * for one never fails; only zstd compression without `@mongodb-js/zstd` fails, with
 * `UNSUPPORTED_COMPRESSION_TYPE`.
 *
 * @example
 * ```ts
 * import { codecFor } from 'tributary-log';
 *
 * const gzip = codecFor('gzip');
 * const packed = await gzip.compress(Buffer.from('hello '.repeat(100)));
 * console.log((await gzip.decompress(packed)).length); // 600
 * ```
 */
export function codecFor(type: CompressionType): Codec {
  const codec = Object.hasOwn(codecs, type) ? codecs[type] : undefined;
  if (codec === undefined) throw new TributaryError('UNSUPPORTED_COMPRESSION_TYPE', `compression must be one of ${Object.keys(codecs).map((c) => JSON.stringify(c)).join(', ')}, got ${typeof type === 'string' ? JSON.stringify(type) : String(type)}`, { option: 'compression' });
  return codec;
}

/**
 * Options for {@link encodeBatch}: the batch header fields, and the codec.
 *
 * @example
 * ```ts
 * import { decodeBatch, encodeBatch, type EncodeBatchOptions } from 'tributary-log';
 *
 * const options: EncodeBatchOptions = { compression: 'gzip', baseOffset: 10, now: 1_700_000_000_000 };
 * const [record] = await decodeBatch(await encodeBatch([{ value: Buffer.from('hello') }], options));
 * console.log(record?.offset, record?.timestamp); // 10 1700000000000
 * ```
 */
export interface EncodeBatchOptions extends BatchOptions {
  /** The codec for the records section. Default `none`. */
  readonly compression?: CompressionType;
}

/**
 * Encodes records as one Kafka v2 record batch, its records section compressed with the
 * given codec (the header stays plain, as in Kafka).
 *
 * @example
 * ```ts
 * import { encodeBatch, decodeBatch } from 'tributary-log';
 *
 * const batch = await encodeBatch([{ key: Buffer.from('user-1'), value: Buffer.from('{"n":1}') }], { compression: 'zstd' });
 * const [record] = await decodeBatch(batch);
 * console.log(record?.offset); // 0
 * ```
 */
export async function encodeBatch(records: readonly RecordInput[], options: EncodeBatchOptions = {}): Promise<Buffer> {
  checkBatchInput(records, options);
  if (records.length === 0) throw new TributaryError('INVALID_RECORD', 'a batch needs at least one record');
  const compression = options.compression ?? 'none';
  if (compression === 'none') return encodeBatchUncompressed(records, options);
  const { body, baseTimestamp, maxTimestamp } = encodeRecords(records, options.now ?? Date.now());
  const section = await codecFor(compression).compress(body);
  return assembleBatch(section, records.length, baseTimestamp, maxTimestamp, compression, options);
}

/** Options for {@link decodeBatch}. *
 * @example
 * ```ts
 * import { MemoryLog, decodeBatch, encodeBatch, type DecodeBatchOptions } from 'tributary-log';
 *
 * const log = new MemoryLog({ topic: 'orders', partition: 0 });
 * log.write(await encodeBatch([{ value: Buffer.from('a') }, { value: Buffer.from('b') }]));
 * // The log checked every batch's CRC on append: no need to check it again.
 * const options: DecodeBatchOptions = { verifyCrc: false };
 * const records = await decodeBatch(log.read(0).records, 0, options);
 * console.log(records.length); // 2
 * ```
 */
export interface DecodeBatchOptions {
  /**
   * Whether to verify the batch's CRC-32C before decoding. Default `true`. Turn it off
   * only for bytes that were already checked, such as batches read back from a
   * `PartitionLog` (which checks every batch on append and on recovery).
   */
  readonly verifyCrc?: boolean;
}

function corruptBatch(why: string): TributaryError {
  return new TributaryError('CORRUPT_MESSAGE', `corrupt record batch: ${why}`);
}

/**
 * Decodes the records of the batch at `pos`, decompressing as its attributes say.
 *
 * The batch is checked first (length, magic 2, CRC unless `verifyCrc` is off, record
 * count, codec), and every 64-bit field must be a safe integer. Byte fields of an
 * uncompressed batch are views into `bytes`, of a compressed batch views into the
 * decompressed buffer: no copies. Throws `CORRUPT_MESSAGE` on malformed input.
 *
 * @example
 * ```ts
 * import { encodeBatch, decodeBatch } from 'tributary-log';
 *
 * const batch = await encodeBatch([{ value: Buffer.from('a') }, { value: null }], { baseOffset: 41 });
 * const records = await decodeBatch(batch);
 * console.log(records.map((r) => r.offset)); // [ 41, 42 ]
 * ```
 */
export async function decodeBatch(bytes: Uint8Array, pos = 0, options: DecodeBatchOptions = {}): Promise<DecodedRecord[]> {
  const buf = asBuffer(bytes);
  checkPosition(buf, pos);
  const check = checkBatch(buf, pos, buf.length, options.verifyCrc ?? true);
  if (!check.ok) throw corruptBatch(check.problem);
  const header = readBatchHeader(buf, pos);
  for (const field of ['baseOffset', 'baseTimestamp', 'maxTimestamp', 'producerId'] as const) {
    if (!Number.isSafeInteger(header[field])) throw corruptBatch(`${field} is outside the safe integer range`);
  }
  const section = buf.subarray(pos + batchHeaderBytes, pos + check.size);
  const compression = compressionOf(header.attributes);
  const body = compression === 'none' ? section : await codecFor(compression).decompress(section);
  return decodeRecordsSection(body, header);
}

/**
 * {@link decodeBatch} for a reader that makes its own record objects (the consumer):
 * checks the batch the same way, then pushes `make(...)` onto `out` for every record at
 * or past `fromOffset`. An uncompressed batch is decoded at once (no promise: returns
 * undefined); a compressed one returns the promise of its decompression and decoding.
 * @internal
 */
export function decodeBatchWith<T>(bytes: Uint8Array, pos: number, verifyCrc: boolean, fromOffset: number, make: RecordMaker<T>, out: T[]): Promise<void> | undefined {
  const { header, section, compression } = checkedBatch(bytes, pos, verifyCrc);
  if (compression === 'none') {
    decodeRecordsSectionWith(section, header, fromOffset, make, out);
    return undefined;
  }
  return codecFor(compression)
    .decompress(section)
    .then((body) => decodeRecordsSectionWith(body, header, fromOffset, make, out));
}

/**
 * {@link decodeBatchWith} for the consumer's records: pushes a {@link PartitionRecord} of
 * `topic` and `partition` onto `out` for every record at or past `fromOffset`, made by
 * the decoder's loop itself (see `decodePartitionRecordsSection` for why).
 * @internal
 */
export function decodePartitionBatch(bytes: Uint8Array, pos: number, verifyCrc: boolean, fromOffset: number, topic: string, partition: number, out: PartitionRecord[]): Promise<void> | undefined {
  const { header, section, compression } = checkedBatch(bytes, pos, verifyCrc);
  if (compression === 'none') {
    decodePartitionRecordsSection(section, header, fromOffset, topic, partition, out);
    return undefined;
  }
  return codecFor(compression)
    .decompress(section)
    .then((body) => decodePartitionRecordsSection(body, header, fromOffset, topic, partition, out));
}

/**
 * {@link decodePartitionBatch} a part at a time: the batch at `pos`, checked the same way
 * (its CRC as `verifyCrc` says, before anything of it is believed), as a records section
 * to decode with `decodePartitionSection` (uncompressed, or the promise of its
 * decompression).
 * @internal
 */
export function openPartitionBatch(bytes: Uint8Array, pos: number, verifyCrc: boolean, fromOffset: number, topic: string, partition: number): PartitionSection | Promise<PartitionSection> {
  const { header, section, compression } = checkedBatch(bytes, pos, verifyCrc);
  if (compression === 'none') return openPartitionSection(section, header, fromOffset, topic, partition);
  return codecFor(compression)
    .decompress(section)
    .then((body) => openPartitionSection(body, header, fromOffset, topic, partition));
}

/** The batch at `pos`, checked (its CRC as `verifyCrc` says): its header and its records section, still compressed. */
function checkedBatch(bytes: Uint8Array, pos: number, verifyCrc: boolean): { header: BatchHeader; section: Buffer; compression: CompressionType } {
  const buf = asBuffer(bytes);
  checkPosition(buf, pos);
  const check = checkBatch(buf, pos, buf.length, verifyCrc);
  if (!check.ok) throw corruptBatch(check.problem);
  const header = readBatchHeader(buf, pos);
  if (!Number.isSafeInteger(header.baseOffset) || !Number.isSafeInteger(header.baseTimestamp) || !Number.isSafeInteger(header.maxTimestamp) || !Number.isSafeInteger(header.producerId)) {
    for (const field of ['baseOffset', 'baseTimestamp', 'maxTimestamp', 'producerId'] as const) {
      if (!Number.isSafeInteger(header[field])) throw corruptBatch(`${field} is outside the safe integer range`);
    }
  }
  return { header, section: buf.subarray(pos + batchHeaderBytes, pos + check.size), compression: compressionOf(header.attributes) };
}

/**
 * Decodes every whole batch in a buffer of concatenated batches, in order. A partial
 * batch at the end (as a read bounded by `maxBytes` may return) is left out; a batch
 * whose length field is impossible is `CORRUPT_MESSAGE`, not the end of the data.
 *
 * @example
 * ```ts
 * import { decodeBatches, encodeBatch } from 'tributary-log';
 *
 * const first = await encodeBatch([{ value: Buffer.from('a') }, { value: Buffer.from('b') }], { baseOffset: 0 });
 * const second = await encodeBatch([{ value: Buffer.from('c') }], { baseOffset: 2, compression: 'gzip' });
 * const records = await decodeBatches(Buffer.concat([first, second]));
 * console.log(records.map((r) => r.offset)); // [ 0, 1, 2 ]
 * ```
 */
export async function decodeBatches(bytes: Uint8Array, options: DecodeBatchOptions = {}): Promise<DecodedRecord[]> {
  const buf = asBuffer(bytes);
  const out: DecodedRecord[] = [];
  let pos = 0;
  while (buf.length - pos >= batchLogOverheadBytes) {
    const batchLength = buf.readInt32BE(pos + positions.batchLength);
    if (batchLength < batchHeaderBytes - batchLogOverheadBytes || batchLength > batchBytesMax) throw corruptBatch(`bad length ${batchLength} at position ${pos}`);
    const size = batchLength + batchLogOverheadBytes;
    if (buf.length - pos < size) break;
    for (const record of await decodeBatch(buf, pos, options)) out.push(record);
    pos += size;
  }
  return out;
}
