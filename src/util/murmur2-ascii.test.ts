import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { murmur2, murmur2Ascii } from './murmur2.js';

describe('murmur2Ascii', () => {
  it('equals murmur2 of the UTF-8 bytes for every ASCII string (Java-checked vectors included)', () => {
    for (const key of ['', '0', '12', '123', '1234', '12345', '823543', 'key-199999']) expect(murmur2Ascii(key)).toBe(murmur2(Buffer.from(key, 'utf8')));
    expect(murmur2Ascii('123')).toBe(-267702483);
    fc.assert(
      fc.property(fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 40 }), (s) => murmur2Ascii(s) === murmur2(Buffer.from(s, 'utf8'))),
      { numRuns: 2000 },
    );
  });
});
