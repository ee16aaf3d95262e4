/**
 * The decisions a partition log makes about its segments, as pure functions: when to
 * add a sparse index entry, when to roll, which segments retention deletes, and how
 * compaction groups segments. The shell (`partition-log.ts`) gathers the numbers and
 * does what these return; the tests check them exhaustively against Kafka's rules.
 */
import { offsetIndexEntryBytes, timeIndexEntryBytes } from './offset-index.js';

/** The largest offset delta a 4-byte relative offset can hold (Kafka's `Integer.MAX_VALUE`). */
export const relativeOffsetMax = 0x7fffffff;
/** The largest file position a 4-byte index entry can hold. */
export const positionMax = 0x7fffffff;

/**
 * Whether the batch about to be noted gets an offset index (and time index) entry:
 * Kafka's `LogSegment.append` adds one once MORE than `index.interval.bytes` have been
 * appended since the last entry, checked per batch, before counting the batch itself.
 *
 * Example, interval 4096, batches of 1500 bytes at positions 0, 1500, 3000, 4500, 6000:
 * bytes since the last entry before each are 0, 1500, 3000, 4500 (> 4096: entry at
 * 4500, then 0), 1500: one entry, pointing at the batch at 4500.
 */
export function shouldAddIndexEntry(bytesSinceLastEntry: number, indexIntervalBytes: number): boolean {
  return bytesSinceLastEntry > indexIntervalBytes;
}

/** What the planner needs to know about the active segment. */
export interface ActiveSegmentFacts {
  readonly baseOffset: number;
  readonly sizeBytes: number;
  /** Max timestamp of the segment's first batch (Kafka's rollingBasedTimestamp), -1 if none. */
  readonly firstBatchTimestamp: number;
  /** When the segment was created or opened, by the log's clock (for batches without timestamps). */
  readonly createdMs: number;
  readonly offsetIndexEntries: number;
  readonly timeIndexEntries: number;
}

/** What the planner needs to know about the write about to happen. */
export interface IncomingWrite {
  readonly bytes: number;
  readonly batchCount: number;
  readonly lastOffset: number;
  /** Largest max timestamp among the batches, -1 if none has one. */
  readonly maxTimestamp: number;
  /** The log's clock. */
  readonly now: number;
}

export interface RollLimits {
  readonly segmentBytes: number;
  readonly segmentMs: number;
  readonly segmentIndexBytes: number;
}

export type RollReason = 'segment-bytes' | 'segment-ms' | 'index-full' | 'offset-overflow';

/**
 * Why the active segment must roll before this write, or undefined if the write fits.
 * Kafka's `LogSegment.shouldRoll`, with one difference: an empty segment never rolls
 * (there is nothing to seal; a write larger than `segment.bytes` goes into it whole).
 *
 * - `segment-bytes`: the segment would grow past `segment.bytes`.
 * - `segment-ms`: the incoming max timestamp is more than `segment.ms` after the
 *   segment's first batch (or, for batches without timestamps, the clock is that far
 *   past the segment's creation).
 * - `index-full`: the indexes could not take an entry for every incoming batch (plus the
 *   time index entry a roll adds) within `segment.index.bytes`.
 * - `offset-overflow`: the last incoming offset would not fit a 4-byte relative offset.
 */
export function rollReason(segment: ActiveSegmentFacts, write: IncomingWrite, limits: RollLimits): RollReason | undefined {
  if (segment.sizeBytes === 0) return undefined;
  if (segment.sizeBytes + write.bytes > limits.segmentBytes) return 'segment-bytes';
  const waitedMs =
    segment.firstBatchTimestamp >= 0 && write.maxTimestamp >= 0 ? write.maxTimestamp - segment.firstBatchTimestamp : write.now - segment.createdMs;
  if (waitedMs > limits.segmentMs) return 'segment-ms';
  const offsetEntriesMax = Math.floor(limits.segmentIndexBytes / offsetIndexEntryBytes);
  const timeEntriesMax = Math.floor(limits.segmentIndexBytes / timeIndexEntryBytes);
  // An index holds at most one entry per offset of its segment (entries name increasing
  // offsets), so a segment spanning fewer offsets than the limits allow cannot fill them,
  // and its index lengths (two more objects a write to read, each a cache miss when keyed
  // writes go round 10,000 partitions) are not looked at. Worked example: the default
  // 10 MiB index holds 873,813 time entries; a segment is checked only once it spans that
  // many offsets less this write's batches. (A time index read from a file with repeated
  // offsets, which no writer here makes, could only delay an index-full roll.)
  const entriesBound = write.lastOffset - segment.baseOffset + 1;
  if (entriesBound + write.batchCount + 1 <= Math.min(offsetEntriesMax, timeEntriesMax)) {
    return write.lastOffset - segment.baseOffset > relativeOffsetMax ? 'offset-overflow' : undefined;
  }
  if (segment.offsetIndexEntries + write.batchCount > offsetEntriesMax) return 'index-full';
  if (segment.timeIndexEntries + write.batchCount + 1 > timeEntriesMax) return 'index-full';
  if (write.lastOffset - segment.baseOffset > relativeOffsetMax) return 'offset-overflow';
  return undefined;
}

/** What retention needs to know about one segment, oldest first. */
export interface RetentionSegment {
  readonly baseOffset: number;
  readonly sizeBytes: number;
  /** Largest record timestamp, -1 if none. */
  readonly maxTimestamp: number;
}

export interface RetentionPolicy {
  readonly now: number;
  /** `retention.ms`; negative keeps forever. */
  readonly retentionMs: number;
  /** `retention.bytes`; negative for no limit. */
  readonly retentionBytes: number;
  readonly logStartOffset: number;
  /** Never delete a segment holding an offset at or above this (the high watermark). */
  readonly upTo: number;
  /** The log end offset: the upper bound of the last segment. */
  readonly logEndOffset: number;
  /** Whether `cleanup.policy` includes `delete`; if not, only the log start offset deletes. */
  readonly deleteEnabled: boolean;
}

export type RetentionReason = 'log-start-offset' | 'retention-ms' | 'retention-bytes';

/**
 * Which of the oldest segments retention deletes, one reason per deleted segment, in
 * order. Kafka 4.0's `UnifiedLog.deleteOldSegments` as three passes in its order:
 * segments wholly below the log start offset; then, if the policy deletes, the oldest
 * segments while the log minus them still holds `retention.bytes`; then segments whose
 * newest record is older than `retention.ms`. Each pass deletes a prefix and stops at the
 * first segment it keeps. Never the active (last) segment, and never a segment whose
 * records reach `upTo` (the high watermark) or beyond. A compact-only log deletes only
 * below the log start offset.
 *
 * Example: sizes [100, 100, 100, 50] (the last active), retention.bytes 160: the log is
 * 350 bytes, 190 over; the first segment goes (250 left, 90 over), the second does not
 * (it would leave 150 < 160). One segment deleted.
 */
export function planRetention(segments: readonly RetentionSegment[], policy: RetentionPolicy): RetentionReason[] {
  const reasons: RetentionReason[] = [];
  // The offset a segment's records end below: the next segment's base, or the log end.
  const upperBound = (i: number): number => segments[i + 1]?.baseOffset ?? policy.logEndOffset;
  const deletable = (i: number): boolean => i < segments.length - 1 && upperBound(i) <= policy.upTo;
  let i = 0;
  while (deletable(i) && upperBound(i) <= policy.logStartOffset) {
    reasons.push('log-start-offset');
    i++;
  }
  if (!policy.deleteEnabled) return reasons;
  if (policy.retentionBytes >= 0) {
    let size = 0;
    for (let j = i; j < segments.length; j++) size += segments[j]!.sizeBytes;
    let over = size - policy.retentionBytes;
    while (deletable(i) && over - segments[i]!.sizeBytes >= 0) {
      over -= segments[i]!.sizeBytes;
      reasons.push('retention-bytes');
      i++;
    }
  }
  if (policy.retentionMs >= 0) {
    while (deletable(i)) {
      const ts = segments[i]!.maxTimestamp;
      if (!(ts >= 0 && policy.now - ts > policy.retentionMs)) break;
      reasons.push('retention-ms');
      i++;
    }
  }
  return reasons;
}

/** What compaction grouping needs to know about one cleanable segment. */
export interface CleanableSegment {
  readonly baseOffset: number;
  /** The offset after the segment's last batch. */
  readonly nextOffset: number;
  readonly sizeBytes: number;
  readonly offsetIndexEntries: number;
  readonly timeIndexEntries: number;
}

/**
 * Splits consecutive cleanable segments into groups, each of which compaction rewrites
 * as ONE segment: Kafka's `LogCleaner.groupSegmentsBySize`. Without it a compacted log
 * only ever gains segments, each shrinking towards a few records, until the folder holds
 * thousands of tiny files. A group takes segments while their combined (uncleaned)
 * sizes fit `segment.bytes`, their index entries fit `segment.index.bytes`, and the
 * offsets they span fit a 4-byte relative offset from the group's base; cleaning never
 * makes a segment bigger, so the cleaned group fits too. Every segment is in exactly one
 * group, in order.
 *
 * Example, segment.bytes 1000, sizes [400, 300, 500, 100, 900]: [400, 300] (700; +500
 * would pass 1000), [500, 100], [900].
 */
export function groupSegmentsForCleaning(segments: readonly CleanableSegment[], limits: { segmentBytes: number; segmentIndexBytes: number }): number[][] {
  const groups: number[][] = [];
  let i = 0;
  while (i < segments.length) {
    const first = segments[i]!;
    const group = [i];
    let bytes = first.sizeBytes;
    let offsetEntries = first.offsetIndexEntries;
    let timeEntries = first.timeIndexEntries;
    i++;
    while (i < segments.length) {
      const s = segments[i]!;
      if (bytes + s.sizeBytes > limits.segmentBytes) break;
      if ((offsetEntries + s.offsetIndexEntries) * offsetIndexEntryBytes > limits.segmentIndexBytes) break;
      if ((timeEntries + s.timeIndexEntries) * timeIndexEntryBytes > limits.segmentIndexBytes) break;
      if (s.nextOffset - 1 - first.baseOffset > relativeOffsetMax) break;
      bytes += s.sizeBytes;
      offsetEntries += s.offsetIndexEntries;
      timeEntries += s.timeIndexEntries;
      group.push(i);
      i++;
    }
    groups.push(group);
  }
  return groups;
}
