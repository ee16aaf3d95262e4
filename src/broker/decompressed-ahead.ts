/**
 * zstd records sections decompressed before a produce's synchronous append, by the native
 * codec off the event loop, for the leader's check of every record's timestamp
 * (`timestampProblem` in produce-batch-checks.ts, Kafka's `LogValidator`, which
 * decompresses every compressed batch).
 *
 * Why: the append is synchronous, and the only synchronous zstd decoder here is the
 * JavaScript one (`fzstd`; the native package has no synchronous call): about 4.3 us a
 * 100-byte record, against about 0.5 us for the native decoder through the thread pool,
 * 8 in flight (bench/results/2026-12-08a-wire.md). The other codecs decompress
 * synchronously in native code (lz4, snappy) or zlib (gzip) at 0.15 to 0.4 us a record,
 * about what the hop to the thread pool alone costs, so they are not sent ahead.
 *
 * The produce waits for its decompression under the recompression gates (recompression.ts
 * `convertForAppend`), which keep each partition's appends in arrival order. A body is
 * found again by the memory the produced batch lies in (its `ArrayBuffer` and offset: a
 * frame's bytes may reach the append as another view of the same memory) and by the
 * batch's CRC, which the append verifies before it reads the body; it is taken once and
 * forgotten (`forgetAhead` after the request's appends), so memory a later frame reuses
 * never finds a stale body. At most {@link aheadBytesMax} bytes are held ahead at once,
 * over every request in flight; a batch past it is decompressed by its append, as before.
 * @internal
 */
import { asBuffer, attributeBits, batchHeaderBytes, batchLogOverheadBytes, positions } from '../record/batch.js';
import { checksummedHere } from '../record/checksummed-here.js';
import { codecFor, zstdOutputBound } from '../record/codecs/index.js';

interface Ahead {
  readonly byteOffset: number;
  readonly crc: number;
  readonly body: Buffer;
}

const bodies = new WeakMap<ArrayBufferLike, Ahead[]>();

/**
 * The most bytes of bodies held ahead at once, over every request in flight (what a
 * section's frame headers say it decompresses to is counted before it is decompressed).
 * Why a bound: a zstd section of RLE blocks stands for 32,768 times its size, so one
 * frame of many partitions' small batches could ask for gigabytes, all held until the
 * request's appends; the synchronous path decompresses one batch at a time and drops it.
 * A batch past the bound is not sent ahead: its append decompresses it synchronously.
 * @internal
 */
export const aheadBytesMax = 64 * 1024 * 1024;

/** Bytes held ahead now (kept bodies, and bounds of decompressions under way). */
let aheadBytes = 0;

/** zstd's codec number in the attributes. */
const zstdCodec = 4;

/** Whether `records` (a produce's bytes for one partition) starts with a v2 zstd batch whose records section lies within them. */
export function zstdBatchAhead(records: Uint8Array | null): boolean {
  // A batch a Producer in this thread built is taken on its header (produce-batch-checks.ts
  // `timestampProblem`, `trusted`), so nothing would read the body: not sent ahead. (With
  // `before.max.ms` bounded its records are read after all, by the synchronous decoder.)
  if (records === null || checksummedHere(records)) return false;
  if (records.length <= batchHeaderBytes || records[positions.magic] !== 2) return false;
  if ((records[positions.attributes + 1]! & attributeBits.compressionMask) !== zstdCodec) return false;
  const size = frontBatchSize(records);
  return size > batchHeaderBytes && size <= records.length;
}

/** The size in bytes of the batch at the front of `records` (its length field plus the 12 bytes before it). */
function frontBatchSize(records: Uint8Array): number {
  return batchLogOverheadBytes + asBuffer(records).readInt32BE(positions.batchLength);
}

/**
 * Decompresses the records section of the zstd batch at the front of `records` (see
 * {@link zstdBatchAhead}) and keeps it for {@link takeAhead}. A section that does not
 * decompress keeps nothing: the append's own check then answers CORRUPT_MESSAGE.
 */
export async function decompressAhead(records: Uint8Array): Promise<void> {
  const crc = asBuffer(records).readUInt32BE(positions.crc);
  const section = records.subarray(batchHeaderBytes, frontBatchSize(records));
  let bound: number;
  try {
    bound = zstdOutputBound(section);
  } catch {
    return;
  }
  if (aheadBytes + bound > aheadBytesMax) return;
  aheadBytes += bound;
  let body: Buffer;
  try {
    body = await codecFor('zstd').decompress(section);
  } catch {
    aheadBytes -= bound;
    return;
  }
  aheadBytes += body.length - bound;
  let list = bodies.get(records.buffer);
  if (list === undefined) bodies.set(records.buffer, (list = []));
  list.push({ byteOffset: records.byteOffset, crc, body });
}

/** The body {@link decompressAhead} kept for the batch at `bytes[position]` with CRC `crc` (verified by the caller), taken once; undefined if none. */
export function takeAhead(bytes: Uint8Array, position: number, crc: number): Buffer | undefined {
  const list = bodies.get(bytes.buffer);
  if (list === undefined) return undefined;
  const at = bytes.byteOffset + position;
  const i = list.findIndex((a) => a.byteOffset === at && a.crc === crc);
  if (i < 0) return undefined;
  const body = list[i]!.body;
  list.splice(i, 1);
  aheadBytes -= body.length;
  if (list.length === 0) bodies.delete(bytes.buffer);
  return body;
}

/**
 * Forgets what was kept for the batch at the front of `records` and not taken (an append
 * refused before its timestamps were read): only that, as another request's records may
 * lie in the same `ArrayBuffer` (Node's pool puts small allocations in one 8 KiB buffer),
 * their bodies kept and not yet taken.
 */
export function forgetAhead(records: Uint8Array | null): void {
  if (records === null) return;
  const list = bodies.get(records.buffer);
  if (list === undefined) return;
  const at = records.byteOffset;
  const rest: Ahead[] = [];
  for (const a of list) {
    if (a.byteOffset !== at) rest.push(a);
    else aheadBytes -= a.body.length;
  }
  if (rest.length === 0) bodies.delete(records.buffer);
  else if (rest.length < list.length) bodies.set(records.buffer, rest);
}
