/**
 * decompressed-ahead.ts below the produce path: what a produce's zstd bodies kept ahead of
 * its append do to other requests' (frames may lie in one `ArrayBuffer`: Node's pool puts
 * small allocations in one 8 KiB buffer), and how much a frame of hostile zstd batches can
 * make the broker hold at once.
 */
import { describe, expect, it } from 'vitest';
import { positions } from '../record/batch.js';
import { encodeBatch } from '../record/codecs/index.js';
import { decompressAhead, forgetAhead, takeAhead, zstdBatchAhead } from './decompressed-ahead.js';

const crcOf = (b: Uint8Array): number => Buffer.from(b.buffer, b.byteOffset, b.length).readUInt32BE(positions.crc);

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
});
