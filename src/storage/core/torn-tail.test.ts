import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeBatchUncompressed, positions } from '../../record/batch.js';
import { checkBatchRun, type BatchRun } from './torn-tail.js';

/** Batches of 1 to 3 records, offsets tiled from 0, sizes varied. */
function log(counts: number[]): { bytes: Buffer; starts: number[]; bases: number[] } {
  const parts: Buffer[] = [];
  const starts: number[] = [];
  const bases: number[] = [];
  let offset = 0;
  let position = 0;
  counts.forEach((count, i) => {
    const b = encodeBatchUncompressed(
      Array.from({ length: count }, (_, r) => ({ key: Buffer.from(`k${i}`), value: Buffer.alloc((i * 7 + r) % 40, i), timestamp: 1000 + i })),
      { baseOffset: offset, partitionLeaderEpoch: i },
    );
    starts.push(position);
    bases.push(offset);
    parts.push(b);
    position += b.length;
    offset += count;
  });
  return { bytes: Buffer.concat(parts), starts, bases };
}

const sample = log([1, 3, 2, 1, 3, 1]);
const end = sample.bytes.length;
const lastBatchBase = sample.bases[sample.bases.length - 1]!;

/** Drives checkBatchRun over `bytes` in chunks of `chunk` bytes, as recovery does over a file. */
function chunked(bytes: Buffer, chunk: number, expected: number, limit: number): BatchRun {
  let pos = 0;
  let next = expected;
  let batches = 0;
  for (;;) {
    let want = Math.min(chunk, bytes.length - pos);
    for (;;) {
      const view = bytes.subarray(pos, pos + want);
      const atEnd = pos + want >= bytes.length;
      const run = checkBatchRun(view, 0, view.length, next, limit, atEnd);
      pos += run.validBytes;
      next = run.nextOffset;
      batches += run.batches;
      if (run.needMore) {
        want = Math.max(Math.min(chunk, bytes.length - pos), run.needMore.batchBytes);
        if (run.validBytes === 0 && want <= view.length) want = view.length + 1; // make progress
        continue;
      }
      if (run.problem !== undefined || atEnd) return { validBytes: pos, batches, nextOffset: next, ...(run.problem ? { problem: run.problem } : {}) };
      break;
    }
  }
}

describe('checkBatchRun', () => {
  it('accepts a whole log of tiled batches', () => {
    const run = checkBatchRun(sample.bytes, 0, end, 0, Infinity, true);
    expect(run).toEqual({ validBytes: end, batches: 6, nextOffset: 11 });
  });

  it('calls back for each valid batch with its place and offsets', () => {
    const seen: [number, number, number][] = [];
    checkBatchRun(sample.bytes, 0, end, 0, Infinity, true, (position, base, last) => seen.push([position, base, last]));
    expect(seen.map((s) => s[0])).toEqual(sample.starts);
    expect(seen.map((s) => s[1])).toEqual(sample.bases);
  });

  it('cut at every byte: keeps exactly the whole batches before the cut, and says why it stopped', () => {
    for (let cut = 0; cut <= end; cut++) {
      const run = checkBatchRun(sample.bytes.subarray(0, cut), 0, cut, 0, Infinity, true);
      const whole = sample.starts.filter((s) => s <= cut);
      const boundary = cut === end ? end : whole[whole.length - 1]!;
      expect(run.validBytes).toBe(boundary);
      if (cut === boundary) expect(run.problem).toBeUndefined();
      else expect(['truncated-header', 'truncated-batch']).toContain(run.problem);
      // Not at the end of the file, the same cut is only the end of a chunk.
      const chunk = checkBatchRun(sample.bytes.subarray(0, cut), 0, cut, 0, Infinity, false);
      expect(chunk.validBytes).toBe(boundary);
      expect(chunk.problem).toBeUndefined();
      if (cut !== boundary) expect(chunk.needMore).toBeDefined();
    }
  });

  it('every single flipped bit: the run stops exactly at the damaged batch, unless the bit is in the uncovered leader epoch', () => {
    for (let at = 0; at < end; at++) {
      const batch = sample.starts.filter((s) => s <= at).length - 1;
      const start = sample.starts[batch]!;
      const inEpoch = at - start >= positions.partitionLeaderEpoch && at - start < positions.magic;
      for (let bit = 0; bit < 8; bit++) {
        const damaged = Buffer.from(sample.bytes);
        damaged[at]! ^= 1 << bit;
        const run = checkBatchRun(damaged, 0, end, 0, Infinity, true);
        if (inEpoch) expect(run.validBytes).toBe(end);
        else {
          expect(run.validBytes).toBe(start);
          expect(run.problem).toBeDefined();
          expect(run.nextOffset).toBe(sample.bases[batch]);
        }
      }
    }
  });

  it('refuses a gap or a repeat in offsets, and offsets past the limit', () => {
    expect(checkBatchRun(sample.bytes, 0, end, 1, Infinity, true)).toMatchObject({ validBytes: 0, problem: 'offset-gap' });
    const twice = Buffer.concat([sample.bytes.subarray(0, sample.starts[2]!), sample.bytes.subarray(sample.starts[1]!, sample.starts[2]!)]);
    expect(checkBatchRun(twice, 0, twice.length, 0, Infinity, true)).toMatchObject({ validBytes: sample.starts[2], problem: 'offset-gap' });
    expect(checkBatchRun(sample.bytes, 0, end, 0, lastBatchBase, true)).toMatchObject({ validBytes: sample.starts[5], problem: 'offset-beyond-limit' });
  });

  it('gives the same answer read in chunks of any size as in one piece, damaged or not', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: end + 10 }),
        fc.option(fc.record({ at: fc.integer({ min: 0, max: end - 1 }), bit: fc.integer({ min: 0, max: 7 }) })),
        fc.integer({ min: 0, max: end }),
        (chunk, flip, cut) => {
          const bytes = Buffer.from(sample.bytes.subarray(0, cut));
          if (flip && flip.at < cut) bytes[flip.at]! ^= 1 << flip.bit;
          const whole = checkBatchRun(bytes, 0, bytes.length, 0, Infinity, true);
          expect(chunked(bytes, chunk, 0, Infinity)).toEqual(whole);
        },
      ),
    );
  });
});
