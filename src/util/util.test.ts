import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c, crc32cJs } from './crc32c.js';
import { murmur2, toPositive } from './murmur2.js';
import { Rng } from './rng.js';
import { SimulatedClock, SimulatedTimerClock } from './clock.js';
import { ByteReader } from './byte-reader.js';
import { sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong, writeUnsignedVarint, sizeOfUnsignedVarint } from './varint.js';
import { validateTopicName } from './topic-name.js';
import { TributaryError, isTributaryError } from './errors.js';
import { errorCodeFromNumber, errorCodes } from './error-codes.js';

describe('crc32c', () => {
  it('matches the standard check value', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32cJs(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });
  it('gives the same value in JavaScript and native for every length and offset', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.nat(50), (bytes, cut) => {
        const start = Math.min(cut, bytes.length);
        expect(crc32c(bytes, start)).toBe(crc32cJs(bytes, start));
      }),
    );
  });
});

describe('murmur2', () => {
  // Values printed by Java's org.apache.kafka.common.utils.Utils.murmur2 for the UTF-8 bytes of each key.
  const javaVectors: [string, number][] = [
    ['0', 971027396],
    ['1', -1993445489],
    ['12', 126087238],
    ['123', -267702483],
    ['1234', -1614185708],
    ['12345', -1188365604],
    ['128', -326012175],
    ['2187', -1508407203],
    ['16384', -325739742],
    ['78125', -1654490814],
    ['279936', 1462227128],
    ['823543', -2014198330],
  ];
  it.each(javaVectors)('murmur2(%j) equals Java', (key, expected) => {
    expect(murmur2(Buffer.from(key, 'utf8'))).toBe(expected);
  });
  it('toPositive clears the sign bit like Java, not Math.abs', () => {
    expect(toPositive(-2147483648)).toBe(0);
    expect(toPositive(-1)).toBe(2147483647);
    expect(toPositive(5)).toBe(5);
  });
});

describe('varint', () => {
  it('round-trips int32 and reports its size', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (n) => {
        const buf = new Uint8Array(10);
        const end = writeVarint(buf, 0, n);
        expect(end).toBe(sizeOfVarint(n));
        const r = new ByteReader(buf, 'CORRUPT_MESSAGE', 0, end);
        expect(r.varint()).toBe(n);
        expect(r.position).toBe(end);
      }),
    );
  });
  it('round-trips safe int64 and reports its size', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 51), max: 2 ** 51 }), (n) => {
        const buf = new Uint8Array(10);
        const end = writeVarlong(buf, 0, n);
        expect(end).toBe(sizeOfVarlong(n));
        expect(new ByteReader(buf, 'CORRUPT_MESSAGE', 0, end).varlong()).toBe(n);
      }),
    );
  });
  it('round-trips unsigned varints', () => {
    fc.assert(
      fc.property(fc.nat(2 ** 32 - 1), (n) => {
        const buf = new Uint8Array(10);
        const end = writeUnsignedVarint(buf, 0, n);
        expect(end).toBe(sizeOfUnsignedVarint(n));
        expect(new ByteReader(buf, 'CORRUPT_MESSAGE', 0, end).unsignedVarint()).toBe(n);
      }),
    );
  });
  it('encodes small values like protobuf', () => {
    const buf = new Uint8Array(5);
    expect(Array.from(buf.subarray(0, writeVarint(buf, 0, -1)))).toEqual([1]);
    expect(Array.from(buf.subarray(0, writeVarint(buf, 0, 1)))).toEqual([2]);
    expect(Array.from(buf.subarray(0, writeVarint(buf, 0, 300)))).toEqual([0xd8, 0x04]);
  });
  it('refuses truncated or overlong input with the reader’s code instead of reading on', () => {
    const corrupt = (read: () => unknown): void => expect(read).toThrow(expect.objectContaining({ code: 'CORRUPT_MESSAGE' }));
    corrupt(() => new ByteReader(new Uint8Array([0x80, 0x80]), 'CORRUPT_MESSAGE').varint());
    corrupt(() => new ByteReader(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), 'CORRUPT_MESSAGE').varint());
    corrupt(() => new ByteReader(new Uint8Array(11).fill(0xff), 'CORRUPT_MESSAGE').varlong());
    corrupt(() => new ByteReader(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), 'CORRUPT_MESSAGE').varlong());
  });
});

describe('Rng', () => {
  it('is determined by its seed', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xs = Array.from({ length: 10 }, () => a.nextU32());
    expect(Array.from({ length: 10 }, () => b.nextU32())).toEqual(xs);
    expect(Array.from({ length: 10 }, () => c.nextU32())).not.toEqual(xs);
  });
  it('keeps int() within bounds and covers them', () => {
    const rng = new Rng(7);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const v = rng.int(10);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(10);
      seen.add(v);
    }
    expect(seen.size).toBe(10);
  });
});

describe('SimulatedClock', () => {
  it('moves only forwards and only when told', () => {
    const clock = new SimulatedClock(1000);
    expect(clock.now()).toBe(1000);
    clock.advance(5);
    expect(clock.monotonic()).toBe(1005);
    expect(() => clock.advance(-1)).toThrow(expect.objectContaining({ name: 'TributaryError', code: 'INVALID_ARGUMENT' }));
    // A reading that is not a finite number would stop every deadline measured on it.
    expect(() => clock.advance(Number.NaN)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', option: 'ms' }));
    expect(() => clock.set(Number.POSITIVE_INFINITY)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new SimulatedClock(Number.NaN)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', option: 'startMs' }));
    expect(clock.now()).toBe(1005);
  });

  it('a timer started with NaN ms is due at once, as node:timers has it, and does not hold back the others', () => {
    // A delay computed from an undefined deadline is NaN: setTimeout fires it after 1 ms.
    // Due at NaN, it was the earliest timer forever (every comparison with NaN is false),
    // and no timer after it ever fired.
    const clock = new SimulatedTimerClock(0);
    const fired: string[] = [];
    clock.setTimer(() => fired.push('nan'), Number.NaN);
    clock.setTimer(() => fired.push('later'), 100);
    expect(clock.nextTimerAt()).toBe(0);
    clock.advance(1000);
    expect(fired).toEqual(['nan', 'later']);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('validateTopicName', () => {
  const bad: unknown[] = ['', '.', '..', 'a/b', 'a\\b', 'a\0b', 'x'.repeat(250), '../etc', 'a b', 'ü', 42, undefined];
  it.each(bad.map((b) => [b]))('rejects %j with INVALID_TOPIC_EXCEPTION', (name) => {
    try {
      validateTopicName(name);
      expect.unreachable();
    } catch (err) {
      expect(isTributaryError(err, 'INVALID_TOPIC_EXCEPTION')).toBe(true);
      expect((err as TributaryError).retriable).toBe(false);
    }
  });
  it.each([['a'], ['orders.v1'], ['__consumer_offsets'], ['x'.repeat(249)], ['A-Z_0.9']])('accepts %j', (name) => {
    expect(() => validateTopicName(name)).not.toThrow();
  });
});

describe('error codes', () => {
  it('numbers are unique and map back to their names', () => {
    const seen = new Set<number>();
    for (const [name, info] of Object.entries(errorCodes)) {
      expect(seen.has(info.code)).toBe(false);
      seen.add(info.code);
      expect(errorCodeFromNumber(info.code)).toBe(name);
    }
    expect(errorCodeFromNumber(9999)).toBe('UNKNOWN_SERVER_ERROR');
  });
  it('carries Kafka numbers and retriable flags', () => {
    const err = new TributaryError('NOT_LEADER_OR_FOLLOWER', undefined, { topic: 't', partition: 3 });
    expect(err.errorCode).toBe(6);
    expect(err.retriable).toBe(true);
    expect(err.partition).toBe(3);
    expect(new TributaryError('MESSAGE_TOO_LARGE').errorCode).toBe(10);
  });
});
