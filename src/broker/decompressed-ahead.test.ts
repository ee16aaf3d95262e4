/**
 * decompressed-ahead.ts below the produce path: what a produce's zstd bodies kept ahead of
 * its append do to other requests' (frames may lie in one `ArrayBuffer`: Node's pool puts
 * small allocations in one 8 KiB buffer), and how much a frame of hostile zstd batches can
 * make the broker hold at once.
 */
import { describe, expect, it } from 'vitest';
import { batchHeaderBytes, batchLogOverheadBytes, positions } from '../record/batch.js';
import { encodeBatch } from '../record/codecs/index.js';
import { aheadBytesMax, decompressAhead, forgetAhead, takeAhead, zstdBatchAhead } from './decompressed-ahead.js';
import { convertForAppend, RecompressionGates } from './recompression.js';

const crcOf = (b: Uint8Array): number => Buffer.from(b.buffer, b.byteOffset, b.length).readUInt32BE(positions.crc);

/**
 * A v2 zstd batch whose records section is a zstd frame of RLE blocks standing for
 * `bytes` bytes (4 bytes of frame a 128 KiB block): what a hostile client sends to make a
 * decoder allocate. Its CRC is whatever `crc` says (nothing ahead of the append checks it).
 */
function zstdBomb(bytes: number, crc: number): Uint8Array {
  const block = 128 * 1024;
  const blocks = Math.ceil(bytes / block);
  const frame = Buffer.alloc(6 + blocks * 4);
  frame.writeUInt32LE(0xfd2fb528, 0);
  frame[4] = 0; // no content size, no checksum, no dictionary, a window descriptor
  frame[5] = 7 << 3; // window 2^17 = 128 KiB
  for (let i = 0; i < blocks; i++) {
    const header = (block << 3) | (1 << 1) | (i === blocks - 1 ? 1 : 0);
    frame.writeUIntLE(header, 6 + i * 4, 3);
    frame[6 + i * 4 + 3] = 0x61;
  }
  const batch = Buffer.alloc(batchHeaderBytes + frame.length);
  batch.writeInt32BE(batch.length - batchLogOverheadBytes, 8);
  batch[positions.magic] = 2;
  batch.writeUInt32BE(crc, positions.crc);
  batch.writeInt16BE(4, positions.attributes);
  frame.copy(batch, batchHeaderBytes);
  return batch;
}

describe('zstd bodies decompressed ahead of the append', () => {
  it("one request's forgetAhead leaves another request's body in the same ArrayBuffer alone", async () => {
    const a = await encodeBatch([{ key: Buffer.from('a'), value: Buffer.from('first '.repeat(20)) }], { compression: 'zstd' });
    const b = await encodeBatch([{ key: Buffer.from('b'), value: Buffer.from('second '.repeat(20)) }], { compression: 'zstd' });
    // Two frames' records in one buffer, as Node's 8 KiB pool lays small allocations out.
    const shared = new Uint8Array(a.length + b.length + 16);
    shared.set(a, 0);
    shared.set(b, a.length + 8);
    const first = shared.subarray(0, a.length);
    const second = shared.subarray(a.length + 8, a.length + 8 + b.length);
    expect(zstdBatchAhead(first) && zstdBatchAhead(second)).toBe(true);
    await Promise.all([decompressAhead(first), decompressAhead(second)]);
    // The first request is done (its append refused, say) and forgets what it kept.
    forgetAhead(first);
    expect(takeAhead(first, 0, crcOf(first))).toBeUndefined();
    const body = takeAhead(second, 0, crcOf(second));
    expect(body, "the second request's body").toBeDefined();
    expect(body!.length).toBeGreaterThan(0);
    forgetAhead(second);
  });

  it('a frame of many zstd bombs is not held in memory at once: what is kept ahead stays under its bound', async () => {
    // Three batches of about 1.3 KiB each that decompress to 40 MiB apiece; a frame of a
    // thousand such partitions would ask for 40 GB held until the appends.
    const bombs = [1, 2, 3].map((crc) => zstdBomb(40 * 1024 * 1024, crc));
    for (const b of bombs) expect(zstdBatchAhead(b)).toBe(true);
    await Promise.all(bombs.map((b) => decompressAhead(b)));
    let kept = 0;
    for (const b of bombs) {
      const body = takeAhead(b, 0, crcOf(b));
      if (body !== undefined) kept += body.length;
    }
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(aheadBytesMax);
    for (const b of bombs) forgetAhead(b);
    // What was taken or forgotten no longer counts: the next one is kept again.
    const again = zstdBomb(40 * 1024 * 1024, 9);
    await decompressAhead(again);
    expect(takeAhead(again, 0, crcOf(again))?.length).toBe(40 * 1024 * 1024);
  });

  it("a zstd batch into a topic whose compression.type is zstd is decompressed ahead too (nothing converts it; its append reads every record)", async () => {
    const batch = await encodeBatch([{ key: Buffer.from('k'), value: Buffer.from('zstd into zstd '.repeat(10)) }], { compression: 'zstd' });
    for (const target of [undefined, 'zstd', 'lz4'] as const) {
      const records = new Uint8Array(batch);
      const leader = { key: `t-${target}-0`, topic: `t-${target}`, replica: { log: { config: { maxMessageBytes: 1_048_588 } } } };
      const converted = await convertForAppend(new RecompressionGates(), [{ topic: leader.topic, records }], [leader], () => target);
      expect(converted, String(target)).toBeDefined();
      const appended = converted!.records[0]!;
      const body = takeAhead(appended, 0, crcOf(appended));
      // lz4: the batch is rebuilt in lz4 (a new batch, read synchronously by its append); zstd or none: the producer's batch, kept ahead.
      if (target === 'lz4') expect(body, String(target)).toBeUndefined();
      else expect(body?.length, String(target)).toBeGreaterThan(0);
      converted!.hold.release();
      forgetAhead(records);
    }
  });

  it('a zstd batch into a LogAppendTime topic is not decompressed ahead, nor its partition held for it (its append reads no timestamp)', async () => {
    const batch = await encodeBatch([{ key: Buffer.from('k'), value: Buffer.from('log append time '.repeat(10)) }], { compression: 'zstd' });
    for (const messageTimestampType of ['CreateTime', 'LogAppendTime'] as const) {
      const records = new Uint8Array(batch);
      const gates = new RecompressionGates();
      const leader = { key: `l-${messageTimestampType}-0`, topic: `l-${messageTimestampType}`, replica: { log: { config: { maxMessageBytes: 1_048_588, messageTimestampType } } } };
      const converted = await convertForAppend(gates, [{ topic: leader.topic, records }], [leader], () => undefined);
      if (messageTimestampType === 'LogAppendTime') {
        expect(converted).toBeUndefined();
        expect(gates.holding).toBe(false);
        expect(takeAhead(records, 0, crcOf(records))).toBeUndefined();
      } else {
        expect(takeAhead(records, 0, crcOf(records))?.length).toBeGreaterThan(0);
        converted!.hold.release();
      }
      forgetAhead(records);
    }
  });
});
