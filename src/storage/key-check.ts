import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { asBuffer, batchHeaderBytes, compressionOf, decodeRecordsSection, isControlBatch, readBatchHeader } from '../record/batch.js';
import { decompressedBytesMax } from '../record/codecs/index.js';
import { TributaryError } from '../util/errors.js';
import { Reader } from '../util/varint.js';

/**
 * Whether a batch holds a record without a key, checked synchronously, as a compacted
 * log's `write` must (Kafka refuses such a batch with CORRUPT_MESSAGE: compaction keeps
 * the latest record per key, and a record without one has nothing to be kept by).
 *
 * `write` is synchronous, so compressed batches are decompressed here with the codecs'
 * synchronous entry points: zlib for gzip, `uncompressSync` of @napi-rs/snappy,
 * `decompressFrameSync` of lz4-napi. zstd has none (@mongodb-js/zstd is promise-only and
 * Node 20's zlib has no zstd), and an optional codec package may be missing: for those
 * the answer is `undefined`, the batch is accepted unchecked, and compaction keeps any
 * keyless record it finds in it.
 *
 * Also refuses, with CORRUPT_MESSAGE, a batch whose records do not decode: on a compacted
 * log every record is read again by the cleaner, which must not meet garbage.
 * @internal
 */
export function hasRecordWithoutKey(batch: Buffer, pos: number, size: number): boolean | undefined {
  const header = readBatchHeader(batch, pos);
  if (isControlBatch(header.attributes)) return false;
  const section = batch.subarray(pos + batchHeaderBytes, pos + size);
  const compression = compressionOf(header.attributes);
  let body: Buffer | undefined;
  try {
    body = compression === 'none' ? section : decompressSync(compression, section);
  } catch (cause) {
    throw new TributaryError('CORRUPT_MESSAGE', `a ${compression} batch cannot be decompressed: ${String((cause as Error)?.message ?? cause)}`, { cause });
  }
  if (body === undefined) return undefined;
  return decodeRecordsSection(body, header).some((r) => r.key === null);
}

type SyncCodecs = {
  snappy: { uncompressSync(data: Buffer): Buffer } | null;
  lz4: { decompressFrameSync(data: Buffer): Buffer } | null;
};

let codecs: SyncCodecs | undefined;

function syncCodecs(): SyncCodecs {
  if (codecs === undefined) {
    const require = createRequire(import.meta.url);
    const load = <T>(pkg: string): T | null => {
      try {
        return require(pkg) as T;
      } catch {
        return null;
      }
    };
    codecs = { snappy: load('@napi-rs/snappy'), lz4: load('lz4-napi') };
  }
  return codecs;
}

const xerialMagic = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const xerialHeaderBytes = 16;

function tooLarge(codec: string): Error {
  return new Error(`${codec} batch decompresses to more than ${decompressedBytesMax} bytes`);
}

/** The decompressed records section, or undefined if this codec cannot be run synchronously here. */
function decompressSync(compression: 'gzip' | 'snappy' | 'lz4' | 'zstd', section: Buffer): Buffer | undefined {
  switch (compression) {
    case 'gzip':
      return gunzipSync(section, { maxOutputLength: decompressedBytesMax });
    case 'snappy': {
      const snappy = syncCodecs().snappy;
      if (snappy === null) return undefined;
      // Raw snappy, or the xerial framing Java clients write (magic, versions, then
      // length-prefixed blocks); each block declares its length up front, checked before
      // anything is allocated.
      const blocks: Buffer[] = [];
      if (section.length >= xerialHeaderBytes && section.subarray(0, xerialMagic.length).equals(xerialMagic)) {
        for (let p = xerialHeaderBytes; p < section.length; ) {
          if (p + 4 > section.length) throw new Error('xerial snappy frame is truncated');
          const len = section.readInt32BE(p);
          if (len < 0 || p + 4 + len > section.length) throw new Error('xerial snappy block is truncated');
          blocks.push(section.subarray(p + 4, p + 4 + len));
          p += 4 + len;
        }
      } else blocks.push(section);
      let total = 0;
      for (const b of blocks) total += new Reader(b).unsignedVarint() ?? Infinity;
      if (total > decompressedBytesMax) throw tooLarge('snappy');
      const out = blocks.map((b) => snappy.uncompressSync(b));
      return out.length === 1 ? out[0]! : Buffer.concat(out);
    }
    case 'lz4': {
      const lz4 = syncCodecs().lz4;
      if (lz4 === null) return undefined;
      const out = lz4.decompressFrameSync(asBuffer(section));
      if (out.length > decompressedBytesMax) throw tooLarge('lz4');
      return out;
    }
    case 'zstd':
      return undefined;
  }
}
