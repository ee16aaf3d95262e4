import { assert } from '../../util/assert.js';
import { TributaryError } from '../../util/errors.js';
import { batchBytesMax, type CompressionType } from '../batch.js';

/**
 * A compression codec for the records section of a batch. Kafka compresses the records
 * of a batch as one block and leaves the 61-byte header plain, so a codec sees only that
 * block.
 *
 * Contract:
 * - `compress` returns bytes that Kafka's own clients (Java, librdkafka, KafkaJS with
 *   the matching codec package) decompress to `data`. It may return a view of `data`
 *   (the `none` codec does).
 * - `decompress` accepts everything Kafka's clients send for this codec, and throws
 *   `TributaryError('CORRUPT_MESSAGE')` for anything it cannot decompress, and for any
 *   input that would decompress to more than {@link decompressedBytesMax} bytes.
 * - Native packages are optional: without one, the codec runs in JavaScript (slower,
 *   same bytes). The one exception is zstd compression, which has no JavaScript
 *   implementation: it throws `TributaryError('UNSUPPORTED_COMPRESSION_TYPE')` naming the
 *   package to install (zstd decompression works without it).
 *
 * @example
 * ```ts
 * import { codecFor, type Codec } from 'tributary-log';
 *
 * async function roundTrips(codec: Codec, data: Buffer): Promise<boolean> {
 *   return (await codec.decompress(await codec.compress(data))).equals(data);
 * }
 * const gzip: Codec = codecFor('gzip');
 * console.log(gzip.name, await roundTrips(gzip, Buffer.from('hello '.repeat(100)))); // gzip true
 * ```
 */
export interface Codec {
  /** The codec's name as Kafka spells it. */
  readonly name: CompressionType;
  /**
   * Compresses a batch's records section, at `level` when given (Kafka's KIP-390 levels:
   * gzip 1 to 9, or -1 for zlib's default; zstd -131072 to 22). Without one, or for a
   * codec that has no levels here (snappy; lz4, whose implementations compress at one
   * fixed speed), the codec's default.
   */
  compress(data: Uint8Array, level?: number): Promise<Buffer>;
  /** Decompresses, refusing output over `decompressedBytesMax` with `CORRUPT_MESSAGE`. */
  decompress(data: Uint8Array): Promise<Buffer>;
}

/**
 * The most bytes one batch's records section may decompress to.
 *
 * Why a limit at all: a compressed batch is small on the wire and may be enormous in
 * memory. Zeros compress about 1,000:1 under gzip and far more under lz4 or zstd (an
 * RLE block of 4 bytes stands for 128 KiB), so a 1 MiB batch could otherwise ask for
 * gigabytes. Every codec here refuses such a batch before it allocates the output:
 * snappy, lz4 and zstd by bounding the output from the frame structure (see
 * `snappyOutputBound`, `lz4OutputBound`, `zstdOutputBound`), gzip by stopping the
 * inflater as soon as the output passes the limit.
 *
 * Why this value: it must be at least `batchBytesMax` (100 MiB, Kafka's request cap),
 * since an uncompressed batch of that size is legal and compressing it must not make it
 * unreadable; 128 MiB leaves headroom for the bounds, which may overestimate by up to
 * one block (4 MiB for lz4's largest blocks).
 */
export const decompressedBytesMax = 128 * 1024 * 1024;
assert(decompressedBytesMax >= batchBytesMax, 'a batch that fits uncompressed also fits once decompressed');

/** @internal */
export function outputTooLarge(codec: CompressionType, bytes?: number): TributaryError {
  const claim = bytes === undefined ? 'more than' : `${bytes} bytes, over`;
  return new TributaryError('CORRUPT_MESSAGE', `${codec} batch would decompress to ${claim} the ${decompressedBytesMax}-byte maximum`);
}

/** @internal */
export function corrupt(codec: CompressionType, why: string, cause?: unknown): TributaryError {
  return new TributaryError('CORRUPT_MESSAGE', `${codec} batch cannot be decompressed: ${why}`, cause === undefined ? {} : { cause });
}

/** @internal Wraps an error thrown by a native decompressor. */
export function decompressFailed(codec: CompressionType, cause: unknown): TributaryError {
  if (cause instanceof TributaryError && cause.code === 'CORRUPT_MESSAGE') return cause; // a JavaScript decoder's own verdict
  const message = cause instanceof Error ? cause.message : String(cause);
  return corrupt(codec, message, cause);
}
