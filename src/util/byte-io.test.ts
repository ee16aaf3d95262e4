/**
 * The one bounded reader and writer: every fixed-width integer agrees with DataView's
 * big-endian bytes (they are assembled from bytes by hand), strings agree with
 * TextEncoder whichever path writes them, sections are length-prefixed exactly, and a
 * failure names the reader's context with its code.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader } from './byte-reader.js';
import { ByteWriter } from './byte-writer.js';
import { isTributaryError } from './errors.js';
import { sizeOfUnsignedVarint } from './varint.js';

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

describe('ByteWriter and ByteReader', () => {
  it('write and read fixed-width integers as DataView does, big-endian', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -0x80, max: 0x7f }),
        fc.integer({ min: -0x8000, max: 0x7fff }),
        fc.integer({ min: -0x80000000, max: 0x7fffffff }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
        fc.double({ noNaN: true }),
        (i8, i16, i32, u16, i64, f64) => {
          const bytes = new ByteWriter(1).int8(i8).int16(i16).int32(i32).uint16(u16).int64(i64).float64(f64).int32(i32).take();
          const v = viewOf(bytes);
          expect([v.getInt8(0), v.getInt16(1), v.getInt32(3), v.getUint16(7), Number(v.getBigInt64(9)), v.getFloat64(17)]).toEqual([i8, i16, i32, u16, i64, f64]);
          const r = new ByteReader(bytes, 'CORRUPT_MESSAGE');
          expect([r.int8(), r.int16(), r.int32(), r.uint16(), r.int64(), r.float64()]).toEqual([i8, i16, i32, u16, i64, f64]);
          const last = r.position;
          expect(r.uint32()).toBe(v.getUint32(last));
          r.done();
        },
      ),
    );
  });

  it('keeps a uint8 written where the buffer grows (the growth replaces the buffer)', () => {
    for (let before = 0; before < 40; before++) {
      const w = new ByteWriter(2);
      for (let i = 0; i < before; i++) w.uint8(i);
      w.uint8(0xab);
      const bytes = w.take();
      expect(bytes.length).toBe(before + 1);
      expect(bytes[before]).toBe(0xab);
      if (before > 0) expect(bytes[before - 1]).toBe(before - 1);
    }
  });

  it('round-trip zig-zag varints and varlongs, unsigned varints and uint8', () => {
    fc.assert(
      fc.property(fc.integer({ min: -0x80000000, max: 0x7fffffff }), fc.integer({ min: -(2 ** 51), max: 2 ** 51 }), fc.nat(0xffffffff), fc.nat(0xff), (a, b, c, d) => {
        const r = new ByteReader(new ByteWriter(2).varint(a).varlong(b).unsignedVarint(c).uint8(d).take(), 'CORRUPT_MESSAGE');
        expect([r.varint(), r.varlong(), r.unsignedVarint(), r.uint8()]).toEqual([a, b, c, d]);
        r.done();
      }),
    );
  });

  it('writes strings as TextEncoder does, on the ASCII path and off it', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 100 }), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 30 })), fc.boolean(), (s, flexible) => {
        const utf8 = new TextEncoder().encode(s);
        const bytes = new ByteWriter(1).string(flexible, s).take();
        const prefix = flexible ? sizeOfUnsignedVarint(utf8.length + 1) : 2;
        expect(bytes.subarray(prefix)).toEqual(utf8);
        const r = new ByteReader(bytes, 'CORRUPT_MESSAGE');
        // A lone surrogate is written as U+FFFD, as TextEncoder writes it.
        expect(r.string(flexible)).toBe(new TextDecoder().decode(utf8));
        r.done();
      }),
    );
  });

  it('prefixes a section with its exact length, and reuses its buffer after reset', () => {
    const w = new ByteWriter(4);
    for (const n of [0, 1, 127, 128, 300, 20_000]) {
      w.reset().lengthPrefixed((w) => w.raw(new Uint8Array(n).fill(n & 0xff))).int8(-1);
      const r = new ByteReader(w.take(), 'CORRUPT_MESSAGE');
      const length = r.unsignedVarint();
      expect(length).toBe(n);
      expect(r.take(length).every((b) => b === (n & 0xff))).toBe(true);
      expect(r.int8()).toBe(-1);
      r.done();
    }
  });

  it('refuses to read past its end with its code, naming its context and the byte', () => {
    const r = new ByteReader(new Uint8Array([0x80, 0x80]), 'CORRUPT_MESSAGE', 0, 2, 'corrupt example');
    let thrown: unknown;
    try {
      r.varlong();
    } catch (err) {
      thrown = err;
    }
    expect(isTributaryError(thrown, 'CORRUPT_MESSAGE')).toBe(true);
    expect((thrown as Error).message).toBe('corrupt example at byte 2: a varlong runs past the end');
    expect(() => new ByteReader(new Uint8Array(3), 'INVALID_REQUEST', 1).take(3)).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
    // A reader bounded inside a larger buffer stops at its own end.
    expect(() => new ByteReader(new Uint8Array(8), 'CORRUPT_MESSAGE', 2, 5).int32()).toThrow(expect.objectContaining({ code: 'CORRUPT_MESSAGE' }));
  });
});
