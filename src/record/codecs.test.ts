import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTributaryError } from '../util/errors.js';
import { batchHeaderBytes, compressionTypes, type CompressionType } from './batch.js';
import { codecFor, decompressedBytesMax, lz4OutputBound, snappyOutputBound, snappyXerialFrame, zstdOutputBound } from './codecs/index.js';

const isCorrupt = (e: unknown): boolean => isTributaryError(e, 'CORRUPT_MESSAGE');
const refusedAsTooLarge = (e: unknown): boolean => isCorrupt(e) && /maximum/.test((e as Error).message);
const compressed = compressionTypes.filter((c): c is Exclude<CompressionType, 'none'> => c !== 'none');

/** Data that compresses somewhat: runs and repeats mixed with noise, sometimes past one codec block. */
const dataArb = fc
  .oneof(
    fc.uint8Array({ maxLength: 2000 }),
    fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 50 }), fc.integer({ min: 1, max: 12_000 })).map(([unit, times]) => Buffer.concat(Array.from({ length: times }, () => unit))),
  )
  .map((b) => Buffer.from(b));

function fixtureSection(name: string): Buffer {
  return readFileSync(new URL(`../../test/fixtures/record/batch-v2-${name}.bin`, import.meta.url)).subarray(batchHeaderBytes);
}

describe('codecs', () => {
  it.each(compressionTypes.map((c) => [c]))('%s round-trips any bytes', async (type) => {
    const codec = codecFor(type);
    expect(codec.name).toBe(type);
    await fc.assert(
      fc.asyncProperty(dataArb, async (data) => {
        expect((await codec.decompress(await codec.compress(data))).equals(data)).toBe(true);
      }),
      { numRuns: 25 },
    );
  });

  it.each(compressed.map((c) => [c]))('%s: garbage raises CORRUPT_MESSAGE and nothing else', async (type) => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 100 }), async (garbage) => {
        try {
          await codecFor(type).decompress(garbage);
        } catch (err) {
          expect(isCorrupt(err), String(err)).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
    await expect(codecFor(type).decompress(Buffer.alloc(0))).rejects.toSatisfy(isCorrupt);
  });

  it.each(compressed.map((c) => [c]))('%s: a truncated section raises CORRUPT_MESSAGE', async (type) => {
    const codec = codecFor(type);
    const whole = await codec.compress(Buffer.from('truncate me '.repeat(500)));
    for (let cut = 0; cut < whole.length; cut += Math.max(1, Math.floor(whole.length / 40))) {
      await expect(codec.decompress(whole.subarray(0, cut))).rejects.toSatisfy(isCorrupt);
    }
  });

});

/**
 * xxHash32, for the LZ4 frame header checksum (from the xxHash specification; only
 * tests need it). Checked below against the published test vectors and against
 * liblz4's own frames.
 */
function xxh32(data: Uint8Array, seed = 0): number {
  const p1 = 0x9e3779b1;
  const p2 = 0x85ebca77;
  const p3 = 0xc2b2ae3d;
  const p4 = 0x27d4eb2f;
  const p5 = 0x165667b1;
  const rotl = (x: number, r: number): number => ((x << r) | (x >>> (32 - r))) >>> 0;
  const u32 = (i: number): number => (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) >>> 0;
  const round = (acc: number, lane: number): number => Math.imul(rotl((acc + Math.imul(lane, p2)) >>> 0, 13), p1) >>> 0;
  let i = 0;
  let h: number;
  if (data.length >= 16) {
    let v1 = (seed + p1 + p2) >>> 0;
    let v2 = (seed + p2) >>> 0;
    let v3 = seed >>> 0;
    let v4 = (seed - p1) >>> 0;
    for (; i + 16 <= data.length; i += 16) {
      v1 = round(v1, u32(i));
      v2 = round(v2, u32(i + 4));
      v3 = round(v3, u32(i + 8));
      v4 = round(v4, u32(i + 12));
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) >>> 0;
  } else {
    h = (seed + p5) >>> 0;
  }
  h = (h + data.length) >>> 0;
  for (; i + 4 <= data.length; i += 4) h = Math.imul(rotl((h + Math.imul(u32(i), p3)) >>> 0, 17), p4) >>> 0;
  for (; i < data.length; i++) h = Math.imul(rotl((h + Math.imul(data[i]!, p5)) >>> 0, 11), p1) >>> 0;
  h = Math.imul(h ^ (h >>> 15), p2) >>> 0;
  h = Math.imul(h ^ (h >>> 13), p3) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Checks that `frame` is exactly one LZ4 frame that Kafka's `Lz4BlockInputStream` reads:
 * version 01, independent blocks, reserved bits (the dictionary id flag among them) clear,
 * block maximum 64 KiB to 4 MiB, a correct header checksum, blocks within the maximum,
 * and nothing after the frame. Returns the problem, or undefined.
 */
function kafkaLz4Problem(frame: Buffer): string | undefined {
  if (frame.length < 7 || frame.readUInt32LE(0) !== 0x184d2204) return 'magic';
  const flg = frame[4]!;
  const bd = frame[5]!;
  if (flg >> 6 !== 1) return 'version';
  if ((flg & 0x20) === 0) return 'dependent blocks';
  if ((flg & 0x03) !== 0) return 'reserved FLG bits or dictionary id';
  if ((bd & 0x8f) !== 0 || ((bd >> 4) & 7) < 4) return 'BD';
  const descriptorEnd = 6 + (flg & 0x08 ? 8 : 0);
  if (frame[descriptorEnd] !== ((xxh32(frame.subarray(4, descriptorEnd)) >>> 8) & 0xff)) return 'header checksum';
  const blockMax = 1 << (2 * ((bd >> 4) & 7) + 8);
  let pos = descriptorEnd + 1;
  for (;;) {
    if (pos + 4 > frame.length) return 'truncated';
    const word = frame.readUInt32LE(pos);
    pos += 4;
    if (word === 0) break;
    const size = word & 0x7fffffff;
    if (size > blockMax) return 'block over maximum';
    pos += size + (flg & 0x10 ? 4 : 0);
  }
  pos += flg & 0x04 ? 4 : 0;
  return pos === frame.length ? undefined : 'bytes after the frame';
}

describe('lz4: the frame format Kafka reads', () => {
  it('xxh32 matches the published vectors', () => {
    expect(xxh32(Buffer.alloc(0))).toBe(0x02cc5d05);
    expect(xxh32(Buffer.from('a'))).toBe(0x550d7456);
    expect(xxh32(Buffer.from('abc'))).toBe(0x32d153ff);
    expect(xxh32(Buffer.from('Nobody inspects the spammish repetition'))).toBe(0xe2293b2f);
  });

  it("liblz4's frame passes the check (so the check is right)", () => {
    expect(kafkaLz4Problem(fixtureSection('lz4'))).toBeUndefined();
  });

  it('every frame Tributary writes is one Kafka can read', async () => {
    await fc.assert(
      fc.asyncProperty(dataArb, async (data) => {
        expect(kafkaLz4Problem(await codecFor('lz4').compress(data))).toBeUndefined();
      }),
      { numRuns: 40 },
    );
    // Past one block, and empty.
    expect(kafkaLz4Problem(await codecFor('lz4').compress(Buffer.alloc(600_000, 7)))).toBeUndefined();
    expect(kafkaLz4Problem(await codecFor('lz4').compress(Buffer.alloc(0)))).toBeUndefined();
  });

  it('the check catches what Kafka refuses', async () => {
    const good = await codecFor('lz4').compress(Buffer.from('x'.repeat(1000)));
    const withFlg = (set: number, clear: number): Buffer => {
      const b = Buffer.from(good);
      b[4] = (b[4]! | set) & ~clear;
      return b;
    };
    expect(kafkaLz4Problem(withFlg(0, 0x20))).toBe('dependent blocks');
    expect(kafkaLz4Problem(withFlg(0x01, 0))).toBe('reserved FLG bits or dictionary id');
    const badHc = Buffer.from(good);
    badHc[6]! ^= 1;
    expect(kafkaLz4Problem(badHc)).toBe('header checksum');
    expect(kafkaLz4Problem(Buffer.concat([good, good]))).toBe('bytes after the frame');
  });

  it('reads frames with checksums and content size, as liblz4 writes them', async () => {
    const section = fixtureSection('lz4');
    expect(section[4]! & 0x04).not.toBe(0); // the fixture carries a content checksum
    expect((await codecFor('lz4').decompress(section)).equals(fixtureSection('none'))).toBe(true);
  });
});

describe('snappy: raw blocks and xerial frames', () => {
  it('reads the xerial stream snappy-java writes', async () => {
    // "foobar\n" as compressed by snappy-java's SnappyOutputStream, as printed in a
    // third-party description of the format (header, then one block of 9 bytes).
    const fromJava = Buffer.from('82534e41505059000000000100000001' + '00000009' + '071866 6f6f6261 720a'.replace(/ /g, ''), 'hex');
    expect((await codecFor('snappy').decompress(fromJava)).toString()).toBe('foobar\n');
    expect(snappyOutputBound(fromJava)).toBe(7);
  });

  it('reads its own xerial frames, over many blocks, and raw blocks', async () => {
    await fc.assert(
      fc.asyncProperty(dataArb, fc.integer({ min: 64, max: 40_000 }), async (data, blockBytes) => {
        const framed = await snappyXerialFrame(data, blockBytes);
        expect(framed.subarray(0, 16).toString('hex')).toBe('82534e4150505900' + '00000001' + '00000001');
        expect((await codecFor('snappy').decompress(framed)).equals(data)).toBe(true);
        expect(snappyOutputBound(framed)).toBe(data.length);
        expect(snappyOutputBound(await codecFor('snappy').compress(data))).toBe(data.length);
      }),
      { numRuns: 30 },
    );
  });

  it('refuses a section that declares more than the maximum before decompressing it', async () => {
    // A raw block declaring 2^31 bytes (varint 80 80 80 80 08), followed by junk.
    const raw = Buffer.concat([Buffer.from([0x80, 0x80, 0x80, 0x80, 0x08]), Buffer.alloc(10)]);
    await expect(codecFor('snappy').decompress(raw)).rejects.toSatisfy(refusedAsTooLarge);
    // 129 xerial blocks each declaring 1 MiB: each is fine alone, the sum is not.
    const block = Buffer.from([0x80, 0x80, 0x40, 0x00]); // varint 2^20, then junk
    const length = Buffer.alloc(4);
    length.writeInt32BE(block.length);
    const framed = Buffer.concat([Buffer.from('82534e41505059000000000100000001', 'hex'), ...Array.from({ length: 129 }, () => [length, block]).flat()]);
    expect(snappyOutputBound(framed)).toBe(129 * 2 ** 20);
    await expect(codecFor('snappy').decompress(framed)).rejects.toSatisfy(refusedAsTooLarge);
  });

  it('refuses a xerial block that runs past the end', async () => {
    const framed = await snappyXerialFrame(Buffer.from('hello hello hello'));
    await expect(codecFor('snappy').decompress(framed.subarray(0, framed.length - 1))).rejects.toSatisfy(isCorrupt);
    await expect(codecFor('snappy').decompress(framed.subarray(0, 18))).rejects.toSatisfy(isCorrupt);
  });
});

describe('decompression bombs', () => {
  it('gzip stops inflating at the maximum', async () => {
    // Concatenated gzip members inflate as one stream (as in Java's GZIPInputStream):
    // 129 members of 1 MiB of zeros, about 1 KiB each, inflate to 129 MiB.
    const member = gzipSync(Buffer.alloc(2 ** 20));
    expect(member.length).toBeLessThan(2048);
    const bomb = Buffer.concat(Array.from({ length: 129 }, () => member));
    await expect(codecFor('gzip').decompress(bomb)).rejects.toSatisfy(refusedAsTooLarge);
    // Just under the maximum is fine.
    expect((await codecFor('gzip').decompress(Buffer.concat([member, member]))).length).toBe(2 ** 21);
  });

  /** An LZ4 frame of `blocks` compressed blocks of 4 bytes each, in the largest block size. */
  function lz4Frame(blocks: number, blockBytes = Buffer.from([0x00, 0x00, 0x00, 0x00])): Buffer {
    const header = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x70, 0x00]);
    header[6] = (xxh32(header.subarray(4, 6)) >>> 8) & 0xff;
    const size = Buffer.alloc(4);
    size.writeUInt32LE(blockBytes.length);
    return Buffer.concat([header, ...Array.from({ length: blocks }, () => [size, blockBytes]).flat(), Buffer.alloc(4)]);
  }

  it('lz4 bounds the output from block headers before decompressing', async () => {
    // Each compressed block may stand for up to 4 MiB: 33 of them may be 132 MiB.
    expect(lz4OutputBound(lz4Frame(33))).toBe(33 * 4 * 2 ** 20);
    await expect(codecFor('lz4').decompress(lz4Frame(33))).rejects.toSatisfy(refusedAsTooLarge);
    // The same structure under the maximum gets as far as the decompressor, which finds the blocks bad.
    await expect(codecFor('lz4').decompress(lz4Frame(2))).rejects.toSatisfy((e: unknown) => isCorrupt(e) && !refusedAsTooLarge(e));
  });

  it('lz4 bound is exact for stored blocks and within one block for compressed ones', async () => {
    await fc.assert(
      fc.asyncProperty(dataArb, async (data) => {
        const frame = await codecFor('lz4').compress(data);
        const bound = lz4OutputBound(frame);
        expect(bound).toBeGreaterThanOrEqual(data.length);
        expect(bound - data.length).toBeLessThanOrEqual(4 * 2 ** 20);
      }),
      { numRuns: 30 },
    );
    expect(lz4OutputBound(fixtureSection('lz4'))).toBeGreaterThanOrEqual(fixtureSection('none').length);
  });

  /** A zstd frame (no content size, 8 MiB window) of `blocks` RLE blocks of 128 KiB each: 4 bytes per 128 KiB. */
  function zstdRleFrame(blocks: number): Buffer {
    const parts = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x68])];
    for (let i = 0; i < blocks; i++) {
      const last = i === blocks - 1 ? 1 : 0;
      const header = ((128 * 1024) << 3) | (1 << 1) | last;
      parts.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff, 0x61]));
    }
    return Buffer.concat(parts);
  }

  it('zstd bounds the output from block headers, and the bound agrees with the decoder', async () => {
    // A valid frame: the real decoder inflates it to exactly what the headers say.
    const small = zstdRleFrame(3);
    expect(zstdOutputBound(small)).toBe(3 * 128 * 1024);
    const out = await codecFor('zstd').decompress(small);
    expect(out.equals(Buffer.alloc(3 * 128 * 1024, 0x61))).toBe(true);
    // 1,025 such blocks, 4 KiB in all, would inflate to 128 MiB + 128 KiB.
    const bomb = zstdRleFrame(1025);
    expect(bomb.length).toBeLessThan(5000);
    await expect(codecFor('zstd').decompress(bomb)).rejects.toSatisfy(refusedAsTooLarge);
  });

  it('zstd refuses a frame that asks for a window over 128 MiB before any decoder allocates it', async () => {
    // Window descriptor exponent 20: a 1 GiB window, then one raw block of one byte.
    const huge = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 20 << 3, 0x09, 0x00, 0x00, 0x61]);
    expect(() => zstdOutputBound(huge)).toThrow(/window of 1073741824 bytes/);
    await expect(codecFor('zstd').decompress(huge)).rejects.toSatisfy((e: unknown) => isCorrupt(e) && /window/.test((e as Error).message));
    // Exponent 17 (128 MiB) is the largest accepted.
    const largest = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 17 << 3, 0x09, 0x00, 0x00, 0x61]);
    expect(zstdOutputBound(largest)).toBe(1);
  });

  it('zstd bound covers frames with and without content size, checksums and skippable frames', async () => {
    await fc.assert(
      fc.asyncProperty(dataArb, async (data) => {
        const frame = await codecFor('zstd').compress(data);
        const bound = zstdOutputBound(frame);
        expect(bound).toBeGreaterThanOrEqual(data.length);
        expect(bound - data.length).toBeLessThanOrEqual(128 * 1024);
        const skippable = Buffer.alloc(8 + 3);
        skippable.writeUInt32LE(0x184d2a5e, 0);
        skippable.writeUInt32LE(3, 4);
        expect(zstdOutputBound(Buffer.concat([skippable, frame, frame]))).toBe(2 * bound);
      }),
      { numRuns: 30 },
    );
    const plain = fixtureSection('none').length;
    for (const name of ['zstd', 'zstd-jni']) {
      const bound = zstdOutputBound(fixtureSection(name));
      expect(bound).toBeGreaterThanOrEqual(plain);
      expect(bound - plain).toBeLessThanOrEqual(128 * 1024);
    }
  });

  it('the maximum is at least the largest batch Kafka accepts', () => {
    expect(decompressedBytesMax).toBeGreaterThanOrEqual(100 * 1024 * 1024);
  });
});
