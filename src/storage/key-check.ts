import { gunzipSync } from 'node:zlib';
import { batchHeaderBytes, compressionOf, decodeRecordsSection, isControlBatch, readBatchHeader } from '../record/batch.js';
import { decompressedBytesMax, lz4DecompressSync, snappyDecompressSync, zstdDecompressSync } from '../record/codecs/index.js';
import { TributaryError } from '../util/errors.js';

/**
 * The indexes, in the batch, of its records without a key (none for a control batch),
 * checked synchronously, as a compacted log's write must: Kafka refuses such a batch
 * with INVALID_RECORD and names each record in the Produce answer's `record_errors`
 * (`LogValidator.validateKey`): compaction keeps the latest record per key, and a record
 * without one has nothing to be kept by.
 *
 * The write is synchronous, so compressed batches are decompressed here with the codecs'
 * synchronous entry points (zlib for gzip; the native package or its JavaScript fallback
 * for snappy and lz4; the JavaScript decoder for zstd, whose native package is
 * promise-only), under the same output bounds as the codecs.
 *
 * Also refuses, with CORRUPT_MESSAGE, a batch whose records do not decode: on a compacted
 * log every record is read again by the cleaner, which must not meet garbage.
 * @internal
 */
export function keylessRecords(batch: Buffer, pos: number, size: number): number[] {
  const header = readBatchHeader(batch, pos);
  if (isControlBatch(header.attributes)) return [];
  const section = batch.subarray(pos + batchHeaderBytes, pos + size);
  const compression = compressionOf(header.attributes);
  let body: Buffer;
  try {
    body = compression === 'none' ? section : decompressSync(compression, section);
  } catch (cause) {
    throw new TributaryError('CORRUPT_MESSAGE', `a ${compression} batch cannot be decompressed: ${String((cause as Error)?.message ?? cause)}`, { cause });
  }
  const out: number[] = [];
  decodeRecordsSection(body, header).forEach((r, i) => r.key === null && out.push(i));
  return out;
}

/** The decompressed records section; every codec has a synchronous path (see the codecs). */
export function decompressSync(compression: 'gzip' | 'snappy' | 'lz4' | 'zstd', section: Buffer): Buffer {
  switch (compression) {
    case 'gzip':
      return gunzipSync(section, { maxOutputLength: decompressedBytesMax });
    case 'snappy':
      return snappyDecompressSync(section);
    case 'lz4':
      return lz4DecompressSync(section);
    case 'zstd':
      return zstdDecompressSync(section);
  }
}
