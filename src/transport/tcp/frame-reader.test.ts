import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTributaryError } from '../../util/errors.js';
import { FrameReader } from './frame-reader.js';

function framed(messages: readonly Uint8Array[]): Uint8Array {
  const total = messages.reduce((n, m) => n + 4 + m.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const m of messages) {
    view.setInt32(at, m.length);
    out.set(m, at + 4);
    at += 4 + m.length;
  }
  return out;
}

describe('FrameReader', () => {
  it('yields the same messages however the stream is cut into chunks', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 12 }), fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 60 }), (messages, cuts) => {
        const stream = framed(messages);
        const reader = new FrameReader(1000);
        const out: Uint8Array[] = [];
        let at = 0;
        let i = 0;
        while (at < stream.length) {
          const n = cuts[i++ % cuts.length]!;
          reader.push(stream.slice(at, at + n), (m) => out.push(m.slice()));
          at += n;
        }
        expect(out).toEqual(messages);
        expect(reader.bufferedBytes).toBe(0);
      }),
    );
  });

  it('cut right after a size prefix, then a chunk of four bytes or more, reads the body as body', () => {
    const body = Uint8Array.from([0, 0, 0, 2, 1, 2, 3, 4]); // whose first bytes read as a size of 2
    const stream = framed([body]);
    const reader = new FrameReader(100);
    const out: Uint8Array[] = [];
    reader.push(stream.slice(0, 4), (m) => out.push(m));
    reader.push(stream.slice(4), (m) => out.push(m));
    expect(out).toEqual([body]);
  });

  it('refuses a size above the maximum or below zero before buffering anything for it', () => {
    for (const size of [101, -1, 0x7fffffff]) {
      const reader = new FrameReader(100);
      const head = new Uint8Array(4);
      new DataView(head.buffer).setInt32(0, size);
      let thrown: unknown;
      try {
        reader.push(head, () => {});
      } catch (err) {
        thrown = err;
      }
      expect(isTributaryError(thrown, 'INVALID_REQUEST')).toBe(true);
    }
  });
});
