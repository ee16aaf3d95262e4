/**
 * The JavaScript paths that serve when the optional native packages are missing
 * (`npm install --omit=optional`, or a platform without prebuilt binaries). The modules
 * imported statically below load the native packages; the same modules imported again
 * after `TRIBUTARY_NO_NATIVE=1` take the fallback path that a missing package takes, and
 * each side must read what the other writes. `test/package.test.ts` checks the same with
 * the packages really absent, on the built package.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { crc32c as nativeCrc32c, crc32cUpdate as nativeCrc32cUpdate } from '../util/crc32c.js';
import { nativePackages } from '../util/native.js';
import { isTributaryError } from '../util/errors.js';
import { codecFor as nativeCodecFor, decodeBatch as nativeDecodeBatch, encodeBatch as nativeEncodeBatch } from './codecs/index.js';

type Codecs = typeof import('./codecs/index.js');
type Crc = typeof import('../util/crc32c.js');
type Native = typeof import('../util/native.js');
type Errors = typeof import('../util/errors.js');

let js: Codecs;
let jsCrc: Crc;
let jsNative: Native;
/** The fresh module graph has its own TributaryError class. */
let jsErrors: Errors;

beforeAll(async () => {
  // The native codecs and CRC load on first use: load them before the flag is set.
  for (const type of ['snappy', 'lz4', 'zstd'] as const) await nativeCodecFor(type).compress(Buffer.from('warm up'));
  nativeCrc32c(Buffer.alloc(1024));
  vi.stubEnv('TRIBUTARY_NO_NATIVE', '1');
  vi.resetModules();
  js = await import('./codecs/index.js');
  jsCrc = await import('../util/crc32c.js');
  jsNative = await import('../util/native.js');
  jsErrors = await import('../util/errors.js');
});
afterAll(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

const dataArb = fc
  .oneof(
    fc.uint8Array({ maxLength: 3000 }),
    fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 8000 })).map(([unit, times]) => Buffer.concat(Array.from({ length: times }, () => unit))),
  )
  .map((b) => Buffer.from(b));

describe('without the native packages', () => {
  it('CRC-32C is computed in JavaScript, equal to the native one at every length and offset', () => {
    jsCrc.crc32c(Buffer.alloc(1024));
    expect(jsNative.nativePackages().get('@node-rs/crc32')).toBe(false);
    nativeCrc32c(Buffer.alloc(1024));
    expect(nativePackages().get('@node-rs/crc32')).toBe(true);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), fc.nat(), (bytes, cut) => {
        const buf = Buffer.from(bytes);
        const start = buf.length === 0 ? 0 : cut % buf.length;
        expect(jsCrc.crc32c(buf, start)).toBe(nativeCrc32c(buf, start));
        const head = nativeCrc32c(buf, 0, start);
        expect(jsCrc.crc32cUpdate(head, buf, start)).toBe(nativeCrc32cUpdate(head, buf, start));
      }),
      { numRuns: 100 },
    );
  });

  it.each([['snappy'], ['lz4']] as const)('%s runs in JavaScript and reads and writes the same bytes as the native package', async (type) => {
    const jsCodec = js.codecFor(type);
    const nativeCodec = nativeCodecFor(type);
    await fc.assert(
      fc.asyncProperty(dataArb, async (data) => {
        const packedJs = await jsCodec.compress(data);
        expect((await jsCodec.decompress(packedJs)).equals(data)).toBe(true);
        expect((await nativeCodec.decompress(packedJs)).equals(data)).toBe(true);
        expect((await jsCodec.decompress(await nativeCodec.compress(data))).equals(data)).toBe(true);
      }),
      { numRuns: 40 },
    );
    const pkg = type === 'snappy' ? 'snappy' : 'lz4-napi';
    expect(jsNative.nativePackages().get(pkg)).toBe(false);
    expect(nativePackages().get(pkg)).toBe(true);
  });

  it('lz4 in JavaScript compresses: 1 MiB of repeated text shrinks at least tenfold, in independent 64 KiB blocks', async () => {
    const data = Buffer.from('the quick brown fox jumps over the lazy dog. '.repeat(24_000));
    const packed = await js.codecFor('lz4').compress(data);
    expect(packed.length * 10).toBeLessThan(data.length);
    expect(packed.subarray(0, 7)).toEqual(Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82]));
    expect((await nativeCodecFor('lz4').decompress(packed)).equals(data)).toBe(true);
  });

  it('lz4 and snappy garbage is CORRUPT_MESSAGE in JavaScript too', async () => {
    for (const type of ['snappy', 'lz4'] as const) {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (garbage) => {
          // A plausible lz4 frame header in front, so the block decoder itself meets the garbage.
          const input = type === 'lz4' ? Buffer.concat([Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82]), Buffer.from([garbage.length & 0xff, 0, 0, 0]), garbage, Buffer.alloc(4)]) : Buffer.from(garbage);
          try {
            await js.codecFor(type).decompress(input);
          } catch (err) {
            expect(jsErrors.isTributaryError(err, 'CORRUPT_MESSAGE'), String(err)).toBe(true);
          }
        }),
        { numRuns: 300 },
      );
    }
  });

  it('zstd batches are read in JavaScript; writing zstd is UNSUPPORTED_COMPRESSION_TYPE naming the package', async () => {
    await fc.assert(
      fc.asyncProperty(dataArb, async (data) => {
        expect((await js.codecFor('zstd').decompress(await nativeCodecFor('zstd').compress(data))).equals(data)).toBe(true);
      }),
      { numRuns: 25 },
    );
    const written = await nativeEncodeBatch([{ key: Buffer.from('k'), value: Buffer.from('zstd from a Kafka client') }], { compression: 'zstd' });
    expect((await js.decodeBatch(written))[0]?.value?.toString()).toBe('zstd from a Kafka client');
    await expect(js.encodeBatch([{ value: Buffer.from('x') }], { compression: 'zstd' })).rejects.toSatisfy(
      (e: unknown) => jsErrors.isTributaryError(e, 'UNSUPPORTED_COMPRESSION_TYPE') && /npm install @mongodb-js\/zstd/.test((e as Error).message),
    );
    expect(jsNative.nativePackages().get('@mongodb-js/zstd')).toBe(false);
  });

  it('a whole batch written with every codec in JavaScript decodes with the native packages', async () => {
    for (const compression of ['none', 'gzip', 'snappy', 'lz4'] as const) {
      const batch = await js.encodeBatch(
        Array.from({ length: 50 }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`value ${i} `.repeat(20)) })),
        { compression, baseOffset: 7 },
      );
      const records = await nativeDecodeBatch(batch);
      expect(records.map((r) => r.offset)).toEqual(Array.from({ length: 50 }, (_, i) => 7 + i));
      expect(records[49]?.value?.toString()).toBe('value 49 '.repeat(20));
    }
  });
});

describe('the JavaScript snappy decoder on hostile blocks', () => {
  it('a literal whose 4-byte length has its top bit set is CORRUPT_MESSAGE, not an endless loop (snappyjs looped)', async () => {
    // Declares 10 bytes; a literal tag (63: 4 length bytes follow) with length 0xfffffff0 + 1.
    const block = Buffer.from([0x0a, 0xfc, 0xf0, 0xff, 0xff, 0xff, 0x61]);
    await expect(js.codecFor('snappy').decompress(block)).rejects.toSatisfy((e: unknown) => jsErrors.isTributaryError(e, 'CORRUPT_MESSAGE'));
    await expect(nativeCodecFor('snappy').decompress(block)).rejects.toSatisfy((e: unknown) => isTributaryError(e, 'CORRUPT_MESSAGE'));
  });

  it('garbage of every kind after a plausible length is CORRUPT_MESSAGE or decodes exactly as the native package', async () => {
    const jsCodec = js.codecFor('snappy');
    const nativeCodec = nativeCodecFor('snappy');
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 400 }), fc.uint8Array({ maxLength: 64 }), async (declared, body) => {
        const varint: number[] = [];
        for (let v = declared; ; v >>>= 7) {
          if (v < 0x80) {
            varint.push(v);
            break;
          }
          varint.push((v & 0x7f) | 0x80);
        }
        const block = Buffer.concat([Buffer.from(varint), Buffer.from(body)]);
        const mine = await jsCodec.decompress(block).then(
          (b) => b,
          (e: unknown) => (jsErrors.isTributaryError(e, 'CORRUPT_MESSAGE') ? 'corrupt' : e),
        );
        const theirs = await nativeCodec.decompress(block).then(
          (b) => b,
          () => 'corrupt',
        );
        if (mine !== 'corrupt') expect(Buffer.isBuffer(mine) && mine.length === declared).toBe(true);
        expect(mine === 'corrupt' ? 'corrupt' : (mine as Buffer).toString('hex')).toBe(theirs === 'corrupt' ? 'corrupt' : (theirs as Buffer).toString('hex'));
      }),
      { numRuns: 2000 },
    );
  });
});
