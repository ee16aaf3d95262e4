import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  groupSegmentsForCleaning,
  planRetention,
  relativeOffsetMax,
  rollReason,
  shouldAddIndexEntry,
  type ActiveSegmentFacts,
  type CleanableSegment,
  type IncomingWrite,
  type RetentionPolicy,
  type RetentionSegment,
} from './segment-plan.js';

describe('shouldAddIndexEntry', () => {
  it('follows the worked example: one entry, at the batch after more than the interval', () => {
    const positions: number[] = [];
    let since = 0;
    for (let position = 0; position < 7500; position += 1500) {
      if (shouldAddIndexEntry(since, 4096)) {
        positions.push(position);
        since = 0;
      }
      since += 1500;
    }
    expect(positions).toEqual([4500]);
  });

  it('keeps every stretch between entries within the interval plus one batch', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 61, max: 5000 }), { minLength: 1, maxLength: 200 }), fc.integer({ min: 0, max: 8192 }), (sizes, interval) => {
        const entries: number[] = [];
        let since = 0;
        let position = 0;
        for (const size of sizes) {
          if (shouldAddIndexEntry(since, interval)) {
            expect(since).toBeGreaterThan(interval);
            entries.push(position);
            since = 0;
          }
          since += size;
          position += size;
        }
        // From any position, the last entry at or before it is at most interval + one
        // batch behind: what a lookup must read past.
        const maxBatch = Math.max(...sizes);
        let last = 0;
        position = 0;
        for (const size of sizes) {
          if (entries.includes(position)) last = position;
          expect(position - last).toBeLessThanOrEqual(interval + maxBatch);
          position += size;
        }
      }),
    );
  });
});

describe('rollReason', () => {
  const limits = { segmentBytes: 1000, segmentMs: 60_000, segmentIndexBytes: 96 }; // 12 offset entries, 8 time entries
  const segment = (over: Partial<ActiveSegmentFacts> = {}): ActiveSegmentFacts => ({
    baseOffset: 100,
    sizeBytes: 500,
    firstBatchTimestamp: 1_000_000,
    createdMs: 5_000_000,
    offsetIndexEntries: 0,
    timeIndexEntries: 0,
    ...over,
  });
  const write = (over: Partial<IncomingWrite> = {}): IncomingWrite => ({ bytes: 100, batchCount: 1, lastOffset: 200, maxTimestamp: 1_000_100, now: 5_000_100, ...over });

  it('rolls at each limit, exactly past it, never before', () => {
    expect(rollReason(segment(), write(), limits)).toBeUndefined();
    expect(rollReason(segment(), write({ bytes: 500 }), limits)).toBeUndefined();
    expect(rollReason(segment(), write({ bytes: 501 }), limits)).toBe('segment-bytes');
    expect(rollReason(segment(), write({ maxTimestamp: 1_060_000 }), limits)).toBeUndefined();
    expect(rollReason(segment(), write({ maxTimestamp: 1_060_001 }), limits)).toBe('segment-ms');
    expect(rollReason(segment({ offsetIndexEntries: 11 }), write(), limits)).toBeUndefined();
    expect(rollReason(segment({ offsetIndexEntries: 12 }), write(), limits)).toBe('index-full');
    expect(rollReason(segment({ timeIndexEntries: 6 }), write(), limits)).toBeUndefined();
    expect(rollReason(segment({ timeIndexEntries: 7 }), write(), limits)).toBe('index-full');
    expect(rollReason(segment({ timeIndexEntries: 5 }), write({ batchCount: 3 }), limits)).toBe('index-full');
    expect(rollReason(segment(), write({ lastOffset: 100 + relativeOffsetMax }), limits)).toBeUndefined();
    expect(rollReason(segment(), write({ lastOffset: 101 + relativeOffsetMax }), limits)).toBe('offset-overflow');
  });

  it('reads the index lengths only once the segment spans enough offsets to fill an index', () => {
    // Limits of 12 offset and 8 time entries; an index holds at most one entry per offset.
    let reads = 0;
    const counted = (entries: number): ActiveSegmentFacts => {
      const base = segment();
      return {
        ...base,
        get offsetIndexEntries() {
          reads++;
          return entries;
        },
        get timeIndexEntries() {
          reads++;
          return entries;
        },
      };
    };
    // Offsets 100..104 with this write: 5 offsets, a batch and the time index's one more
    // entry stay within 8 entries, so no index can be full.
    expect(rollReason(counted(4), write({ lastOffset: 104 }), limits)).toBeUndefined();
    expect(reads).toBe(0);
    // Offsets 100..106: 7 + 1 + 1 pass 8, so the lengths are read (and 7 time entries are full).
    expect(rollReason(counted(7), write({ lastOffset: 106 }), limits)).toBe('index-full');
    expect(reads).toBeGreaterThan(0);
  });

  it('measures segment.ms from the clock when batches carry no timestamps', () => {
    expect(rollReason(segment({ firstBatchTimestamp: -1 }), write({ maxTimestamp: 1e15, now: 5_060_000 }), limits)).toBeUndefined();
    expect(rollReason(segment({ firstBatchTimestamp: -1 }), write({ now: 5_060_001 }), limits)).toBe('segment-ms');
    expect(rollReason(segment(), write({ maxTimestamp: -1, now: 5_060_001 }), limits)).toBe('segment-ms');
  });

  it('never rolls an empty segment', () => {
    expect(rollReason(segment({ sizeBytes: 0 }), write({ bytes: 10_000, lastOffset: 1e12, maxTimestamp: 1e13 }), limits)).toBeUndefined();
  });

  it('when it does not roll, the segment stays within every limit after the write', () => {
    fc.assert(
      fc.property(
        fc.record({
          sizeBytes: fc.integer({ min: 1, max: 1200 }),
          offsetIndexEntries: fc.integer({ min: 0, max: 14 }),
          timeIndexEntries: fc.integer({ min: 0, max: 10 }),
          firstBatchTimestamp: fc.integer({ min: -1, max: 100_000 }),
        }),
        fc.record({
          bytes: fc.integer({ min: 61, max: 1200 }),
          batchCount: fc.integer({ min: 1, max: 4 }),
          span: fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: relativeOffsetMax - 5, max: relativeOffsetMax + 5 })),
          maxTimestamp: fc.integer({ min: -1, max: 200_000 }),
          now: fc.integer({ min: 0, max: 200_000 }),
        }),
        (s, w) => {
          // A real segment's indexes hold at most one entry per offset it spans (the bound rollReason relies on).
          fc.pre(s.offsetIndexEntries <= w.span + 1 && s.timeIndexEntries <= w.span + 1);
          const seg = { ...s, baseOffset: 100, createdMs: 0 };
          const reason = rollReason(seg, { ...w, lastOffset: 100 + w.span }, { ...limits, segmentMs: 60_000 });
          if (reason === undefined) {
            expect(seg.sizeBytes + w.bytes).toBeLessThanOrEqual(limits.segmentBytes);
            expect((seg.offsetIndexEntries + w.batchCount) * 8).toBeLessThanOrEqual(limits.segmentIndexBytes);
            expect((seg.timeIndexEntries + w.batchCount + 1) * 12).toBeLessThanOrEqual(limits.segmentIndexBytes);
            expect(w.span).toBeLessThanOrEqual(relativeOffsetMax);
          } else if (reason === 'segment-bytes') {
            expect(seg.sizeBytes + w.bytes).toBeGreaterThan(limits.segmentBytes);
          } else if (reason === 'offset-overflow') {
            expect(w.span).toBeGreaterThan(relativeOffsetMax);
          }
        },
      ),
    );
  });
});

describe('planRetention', () => {
  const policy = (over: Partial<RetentionPolicy> = {}): RetentionPolicy => ({
    now: 10_000,
    retentionMs: -1,
    retentionBytes: -1,
    logStartOffset: 0,
    upTo: Number.MAX_SAFE_INTEGER,
    logEndOffset: 400,
    deleteEnabled: true,
    ...over,
  });
  const segs = (sizes: number[], timestamps?: number[]): RetentionSegment[] =>
    sizes.map((sizeBytes, i) => ({ baseOffset: i * 100, sizeBytes, maxTimestamp: timestamps?.[i] ?? 1_000 + i }));

  it('follows the worked example for retention.bytes', () => {
    expect(planRetention(segs([100, 100, 100, 50]), policy({ retentionBytes: 160 }))).toEqual(['retention-bytes']);
  });

  it('deletes below the log start first, then by size, then by time, in Kafka’s order', () => {
    const s = segs([100, 100, 100, 100, 10], [1, 2, 3, 9_000, 9_500]);
    // Offsets 0..199 are below the log start (two segments); of the remaining 210 bytes,
    // retention.bytes 100 takes one more segment (leaving 110); retention.ms 5000 finds
    // the next one too new.
    expect(planRetention(s, policy({ logStartOffset: 200, retentionBytes: 100, retentionMs: 5_000, logEndOffset: 450 }))).toEqual([
      'log-start-offset',
      'log-start-offset',
      'retention-bytes',
    ]);
    // With retention.bytes 150 the size pass keeps the third segment (it would leave 110
    // < 150), but it is old enough for retention.ms.
    expect(planRetention(s, policy({ logStartOffset: 200, retentionBytes: 150, retentionMs: 5_000, logEndOffset: 450 }))).toEqual([
      'log-start-offset',
      'log-start-offset',
      'retention-ms',
    ]);
    expect(planRetention(s, policy({ retentionMs: 5_000, logEndOffset: 450 }))).toEqual(['retention-ms', 'retention-ms', 'retention-ms']);
  });

  it('never deletes the active segment, nor anything reaching the high watermark, and a compact-only log only below the log start', () => {
    const s = segs([100, 100], [1, 2]);
    expect(planRetention(s, policy({ retentionMs: 0, logEndOffset: 150 }))).toEqual(['retention-ms']);
    expect(planRetention(s, policy({ retentionMs: 0, logEndOffset: 150, upTo: 99 }))).toEqual([]);
    expect(planRetention(s, policy({ retentionMs: 0, logEndOffset: 150, upTo: 100 }))).toEqual(['retention-ms']);
    expect(planRetention(s, policy({ retentionMs: 0, retentionBytes: 0, deleteEnabled: false, logEndOffset: 150 }))).toEqual([]);
    expect(planRetention(s, policy({ deleteEnabled: false, logStartOffset: 120, logEndOffset: 150 }))).toEqual(['log-start-offset']);
    expect(planRetention([], policy())).toEqual([]);
  });

  it('deletes a prefix that each rule justifies, and stops where the rules say', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ sizeBytes: fc.integer({ min: 0, max: 300 }), span: fc.integer({ min: 0, max: 50 }), maxTimestamp: fc.integer({ min: -1, max: 1000 }) }), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.record({
          now: fc.integer({ min: 0, max: 2000 }),
          retentionMs: fc.integer({ min: -1, max: 1500 }),
          retentionBytes: fc.integer({ min: -1, max: 2000 }),
          logStartFraction: fc.double({ min: 0, max: 1, noNaN: true }),
          upToFraction: fc.double({ min: 0, max: 1.2, noNaN: true }),
          deleteEnabled: fc.boolean(),
        }),
        (raw, p) => {
          let base = 0;
          const segments = raw.map((r) => {
            const s = { baseOffset: base, sizeBytes: r.sizeBytes, maxTimestamp: r.maxTimestamp };
            base += r.span;
            return s;
          });
          const logEndOffset = base;
          const pol: RetentionPolicy = {
            now: p.now,
            retentionMs: p.retentionMs,
            retentionBytes: p.retentionBytes,
            logStartOffset: Math.floor(p.logStartFraction * logEndOffset),
            upTo: Math.floor(p.upToFraction * logEndOffset),
            logEndOffset,
            deleteEnabled: p.deleteEnabled,
          };
          const reasons = planRetention(segments, pol);
          const n = reasons.length;
          expect(n).toBeLessThan(segments.length);
          const upper = (i: number) => segments[i + 1]?.baseOffset ?? logEndOffset;
          let remaining = segments.reduce((a, s) => a + s.sizeBytes, 0);
          const order = ['log-start-offset', 'retention-bytes', 'retention-ms'];
          reasons.forEach((reason, i) => {
            expect(upper(i)).toBeLessThanOrEqual(pol.upTo);
            if (i > 0) expect(order.indexOf(reason)).toBeGreaterThanOrEqual(order.indexOf(reasons[i - 1]!));
            if (reason === 'log-start-offset') expect(upper(i)).toBeLessThanOrEqual(pol.logStartOffset);
            else expect(pol.deleteEnabled).toBe(true);
            if (reason === 'retention-ms') expect(pol.now - segments[i]!.maxTimestamp).toBeGreaterThan(pol.retentionMs);
            if (reason === 'retention-ms') expect(segments[i]!.maxTimestamp).toBeGreaterThanOrEqual(0);
            remaining -= segments[i]!.sizeBytes;
            if (reason === 'retention-bytes') expect(remaining).toBeGreaterThanOrEqual(pol.retentionBytes);
          });
          // The first segment kept: no rule of the last pass (or any later one) would take it.
          if (n < segments.length - 1 && upper(n) <= pol.upTo) {
            const s = segments[n]!;
            expect(upper(n)).toBeGreaterThan(pol.logStartOffset);
            if (pol.deleteEnabled && pol.retentionMs >= 0) expect(s.maxTimestamp >= 0 && pol.now - s.maxTimestamp > pol.retentionMs).toBe(false);
            if (pol.deleteEnabled && pol.retentionBytes >= 0 && !reasons.includes('retention-ms')) expect(remaining - s.sizeBytes >= pol.retentionBytes).toBe(false);
          }
        },
      ),
    );
  });
});

describe('groupSegmentsForCleaning', () => {
  const limits = { segmentBytes: 1000, segmentIndexBytes: 10 * 1024 * 1024 };
  const segs = (sizes: number[]): CleanableSegment[] =>
    sizes.map((sizeBytes, i) => ({ baseOffset: i * 10, nextOffset: i * 10 + 10, sizeBytes, offsetIndexEntries: 0, timeIndexEntries: 0 }));

  it('follows the worked example', () => {
    expect(groupSegmentsForCleaning(segs([400, 300, 500, 100, 900]), limits)).toEqual([[0, 1], [2, 3], [4]]);
    expect(groupSegmentsForCleaning([], limits)).toEqual([]);
    expect(groupSegmentsForCleaning(segs([5000]), limits)).toEqual([[0]]);
  });

  it('respects the index size and the relative offset range', () => {
    const withIndex = segs([10, 10, 10]).map((s) => ({ ...s, offsetIndexEntries: 5, timeIndexEntries: 5 }));
    expect(groupSegmentsForCleaning(withIndex, { segmentBytes: 1000, segmentIndexBytes: 120 })).toEqual([[0, 1], [2]]);
    const wide: CleanableSegment[] = [
      { baseOffset: 0, nextOffset: relativeOffsetMax, sizeBytes: 10, offsetIndexEntries: 0, timeIndexEntries: 0 },
      { baseOffset: relativeOffsetMax, nextOffset: relativeOffsetMax + 1, sizeBytes: 10, offsetIndexEntries: 0, timeIndexEntries: 0 },
      { baseOffset: relativeOffsetMax + 1, nextOffset: relativeOffsetMax + 2, sizeBytes: 10, offsetIndexEntries: 0, timeIndexEntries: 0 },
    ];
    expect(groupSegmentsForCleaning(wide, limits)).toEqual([[0, 1], [2]]);
  });

  it('puts every segment in one group, in order, each group within the limits and greedy', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1200 }), { maxLength: 30 }), (sizes) => {
        const groups = groupSegmentsForCleaning(segs(sizes), limits);
        expect(groups.flat()).toEqual(sizes.map((_, i) => i));
        for (const [g, group] of groups.entries()) {
          const total = group.reduce((a, i) => a + sizes[i]!, 0);
          if (group.length > 1) expect(total).toBeLessThanOrEqual(limits.segmentBytes);
          const next = groups[g + 1]?.[0];
          if (next !== undefined) expect(total + sizes[next]!).toBeGreaterThan(limits.segmentBytes);
        }
      }),
    );
  });
});
