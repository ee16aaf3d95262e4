import {
  assembleBatch,
  attributeBits,
  batchBytesMax,
  batchHeaderBytes,
  batchLogOverheadBytes,
  checkBatch,
  positions,
  compressionOf,
  decodeUncompressedBatch,
  encodeRecords,
  isControlBatch,
  iterateBatches,
  keptBatchOptions,
  type BatchHeader,
  type DecodedRecord,
} from '../record/batch.js';
import { codecFor, decodeBatch } from '../record/codecs/index.js';
import { assert } from '../util/assert.js';
import { TributaryError } from '../util/errors.js';
import { groupSegmentsForCleaning } from './core/segment-plan.js';
import type { LogConfig } from './log.js';
import { Segment } from './segment.js';
import type { Store, StoreFile } from './store.js';

/**
 * Key-based compaction (`cleanup.policy=compact`), Kafka's log cleaner in miniature.
 *
 * 1. The cleanable section is every inactive segment up to the first one holding a
 *    record younger than `min.compaction.lag.ms` or reaching the high watermark (the
 *    active segment is never cleaned; Kafka's `firstUncleanableOffset`).
 *    It is cleaned when its dirty part (segments past the `cleaner-offset-checkpoint`,
 *    not cleaned before) is at least `min.cleanable.dirty.ratio` of it.
 * 2. A map of key -> offset of its latest record is built over the cleanable section.
 * 3. The cleanable segments are split into groups (`groupSegmentsForCleaning`), and each
 *    group is recopied into ONE segment, keeping for every key only its latest record.
 *    Records without a key (a compacted log refuses them at `write`, but a zstd batch
 *    cannot be checked synchronously there) are kept. Batches keep their base offset,
 *    offset span, producer fields, epoch and codec (records are re-encoded with the
 *    original codec), so offsets never change and a reader sees gaps inside batches, as
 *    in Kafka.
 * 4. Empty batches: a batch of an idempotent or transactional producer (producerId >= 0)
 *    left with no records is kept as an empty batch with its own header, as Kafka does,
 *    because the broker rebuilds a producer's sequence state from its last batch. Any
 *    other run of batches left with no records becomes ONE empty batch spanning their
 *    offsets, where Kafka leaves a gap: batch spans then always tile the log, which lets
 *    recovery treat any gap as damage to the base offset, the one field the CRC does not
 *    cover. (Consumers skip empty batches, as they do Kafka's producer-state batches.)
 * 5. Tombstones (null values) are kept with a delete horizon stamped into their batch the
 *    first time a clean keeps them, Kafka's way (KIP-534: attribute bit 6, the horizon in
 *    baseTimestamp; record timestamps stay exact, since their deltas are re-based); a
 *    clean after the horizon drops them. So a tombstone survives at least
 *    `delete.retention.ms` after the clean that first saw it, long enough for a consumer
 *    reading from the start to see the delete.
 *
 * Crash safety, per group, with Kafka's file suffixes (see `core/leftovers.ts` for what
 * recovery does with each):
 *
 * ```
 * write <base>.log.cleaned, fsync        'cleaned-written'    crash: .cleaned discarded, originals intact
 * remove the originals' index files      'indexes-removed'    crash: indexes rebuilt on open
 * rename to <base>.log.swap, fsync dir   'swap-renamed'       the commit point: from here recovery completes the swap
 * remove the group's other .log files    'originals-deleted'
 * rename .swap over <base>.log, fsync    'swapped'
 * write the new indexes, fsync           'indexes-written'
 * ```
 *
 * The key map holds every distinct key of the cleanable section in memory (as latin1
 * strings). Kafka bounds it with a fixed-size MD5 map and cleans in rounds; that is the
 * next step if logs with tens of millions of distinct keys need compacting.
 * @internal
 */
export interface CompactionFaults {
  /** @internal Called after each step of cleaning a group (named by its base offset); a crash test kills the process here. */
  afterStep?(step: CompactionStep, baseOffset: number): void;
}

export type CompactionStep = 'cleaned-written' | 'indexes-removed' | 'swap-renamed' | 'originals-deleted' | 'swapped' | 'indexes-written';

/** What compaction needs from the log it cleans. */
export interface CompactionContext {
  readonly store: Store;
  readonly config: LogConfig;
  segments(): readonly Segment[];
  /** Replaces `count` segments from `first` with `seg`. */
  replaceSegments(first: number, count: number, seg: Segment): void;
  /** False once the log is closing: compaction stops between groups. */
  isOpen(): boolean;
  /** Called before the first change to the log's files (removes the clean-shutdown marker). */
  beforeChange(): void;
  /** The log's clock, for the new segment's creation time. */
  now(): number;
  /** A step between the commit points failed: the log's files and its state no longer agree until it is reopened. */
  failStorage(err: unknown): void;
}

export const cleanerCheckpointFile = 'cleaner-offset-checkpoint';

/** Bytes of cleaned output gathered before a write to the `.cleaned` file. */
const cleanedWriteBytes = 1024 * 1024;

export async function compactLog(ctx: CompactionContext, now: number, upTo: number, faults: CompactionFaults | undefined): Promise<boolean> {
  const all = ctx.segments();
  const cleanable: Segment[] = [];
  for (const seg of all.slice(0, -1)) {
    if (seg.nextOffset > upTo) break;
    if (seg.maxTimestamp >= 0 && now - seg.maxTimestamp < ctx.config.minCompactionLagMs) break;
    cleanable.push(seg);
  }
  if (cleanable.length === 0) return false;
  const checkpoint = readCleanerCheckpoint(ctx.store);
  let total = 0;
  let dirty = 0;
  for (const seg of cleanable) {
    total += seg.size;
    if (seg.nextOffset > checkpoint.firstDirtyOffset) dirty += seg.size;
  }
  // Clean when enough of the section is dirty, or when a tombstone kept by an earlier
  // clean has passed its delete horizon (KIP-534), whatever the dirty ratio.
  const dirtyEnough = dirty > 0 && dirty / total >= ctx.config.minCleanableDirtyRatio;
  const horizonPassed = checkpoint.deleteHorizon >= 0 && now > checkpoint.deleteHorizon;
  if (!dirtyEnough && !horizonPassed) return false;

  // The latest offset of every key in the cleanable section.
  const latest = new Map<string, number>();
  for (const seg of cleanable) {
    await forEachBatch(seg, async (bytes, position, header) => {
      if (isControlBatch(header.attributes)) return;
      for (const r of await decodeRecords(bytes, position, header)) {
        if (r.key !== null) latest.set(keyString(r.key), r.offset);
      }
    });
    if (!ctx.isOpen()) return false;
  }

  const groups = groupSegmentsForCleaning(
    cleanable.map((s) => ({
      baseOffset: s.baseOffset,
      nextOffset: s.nextOffset,
      sizeBytes: s.size,
      offsetIndexEntries: s.offsetIndex.length,
      timeIndexEntries: s.timeIndex.length,
    })),
    ctx.config,
  );
  let cleanedAny = false;
  let deleteHorizon = -1;
  for (const groupIndexes of groups) {
    const group = groupIndexes.map((i) => cleanable[i]!);
    if (!ctx.isOpen()) return cleanedAny;
    const result = await cleanGroup(ctx, group, latest, now, faults);
    if (result.cleaned) cleanedAny = true;
    if (result.deleteHorizon >= 0 && (deleteHorizon < 0 || result.deleteHorizon < deleteHorizon)) deleteHorizon = result.deleteHorizon;
  }
  if (!ctx.isOpen()) return cleanedAny;
  const last = cleanable[cleanable.length - 1]!;
  ctx.store.writeAtomic(cleanerCheckpointFile, Buffer.from(`${last.nextOffset} ${deleteHorizon}\n`));
  return cleanedAny;
}

/**
 * After the log was cut at `logEndOffset` (truncation, a reset), the cleaned section ends
 * there at most: what is appended above it is dirty (Kafka's
 * `LogCleanerManager.maybeTruncateCheckpoint`).
 */
export function truncateCleanerCheckpoint(store: Store, logEndOffset: number): void {
  const checkpoint = readCleanerCheckpoint(store);
  if (checkpoint.firstDirtyOffset <= logEndOffset) return;
  store.writeAtomic(cleanerCheckpointFile, Buffer.from(`${logEndOffset} ${checkpoint.deleteHorizon}\n`));
}

/**
 * `cleaner-offset-checkpoint`: where the dirty section starts (everything below was
 * cleaned), and the earliest delete horizon of a tombstone the last clean kept (-1 if
 * none), so a clean runs once it passes even if nothing new is dirty.
 */
function readCleanerCheckpoint(store: Store): { firstDirtyOffset: number; deleteHorizon: number } {
  const [dirtyText, horizonText] = (store.readAll(cleanerCheckpointFile)?.toString('utf8') ?? '').trim().split(' ');
  const firstDirtyOffset = Number(dirtyText);
  const deleteHorizon = Number(horizonText);
  return {
    firstDirtyOffset: Number.isSafeInteger(firstDirtyOffset) && firstDirtyOffset >= 0 ? firstDirtyOffset : 0,
    deleteHorizon: Number.isSafeInteger(deleteHorizon) ? deleteHorizon : -1,
  };
}

/**
 * Recopies a group of segments into one. Returns whether the log changed, and the
 * earliest delete horizon among the tombstones it keeps (-1 if none).
 */
async function cleanGroup(
  ctx: CompactionContext,
  group: Segment[],
  latest: Map<string, number>,
  now: number,
  faults: CompactionFaults | undefined,
): Promise<{ cleaned: boolean; deleteHorizon: number }> {
  const base = group[0]!.baseOffset;
  const sizesBefore = group.map((s) => s.size);
  const cleanedName = `${Segment.fileName(base, 'log')}.cleaned`;
  const swapName = `${Segment.fileName(base, 'log')}.swap`;
  ctx.store.remove(cleanedName);
  const out = ctx.store.open(cleanedName, true);
  const writer = new CleanedWriter(out);
  let changed = group.length > 1; // merging segments is a change in itself
  let deleteHorizon = -1;
  // Runs of dropped batches become one empty batch spanning their offsets, so batch
  // offset spans always tile the log with no gap (recovery relies on it).
  let gap: { start: number; end: number; maxTimestamp: number } | undefined;
  const flushGap = (): void => {
    if (gap === undefined) return;
    writer.add(assembleBatch(Buffer.alloc(0), 0, gap.maxTimestamp, gap.maxTimestamp, 'none', { baseOffset: gap.start, lastOffsetDelta: gap.end - gap.start }));
    gap = undefined;
  };
  const drop = (header: BatchHeader): void => {
    const last = header.baseOffset + header.lastOffsetDelta;
    if (gap === undefined) gap = { start: header.baseOffset, end: last, maxTimestamp: header.maxTimestamp };
    else {
      gap.end = last;
      gap.maxTimestamp = Math.max(gap.maxTimestamp, header.maxTimestamp);
    }
  };
  try {
    for (const seg of group) {
      await forEachBatch(seg, async (bytes, position, header, raw) => {
        if (isControlBatch(header.attributes)) {
          flushGap();
          writer.add(raw);
          return;
        }
        if (header.recordCount === 0 && header.producerId < 0) {
          // An earlier clean's gap batch: merge it into the current run.
          if (gap !== undefined) changed = true;
          drop(header);
          return;
        }
        const records = await decodeRecords(bytes, position, header);
        const horizon = header.attributes & attributeBits.deleteHorizon ? header.baseTimestamp : undefined;
        let tombstonesKept = false;
        const kept: DecodedRecord[] = [];
        for (const r of records) {
          if (r.key !== null && latest.get(keyString(r.key)) !== r.offset) continue;
          if (r.value === null && r.key !== null) {
            if (horizon !== undefined && now > horizon) continue;
            tombstonesKept = true;
          }
          kept.push(r);
        }
        const needsHorizon = tombstonesKept && horizon === undefined;
        if (tombstonesKept) {
          const h = horizon ?? now + ctx.config.deleteRetentionMs;
          if (deleteHorizon < 0 || h < deleteHorizon) deleteHorizon = h;
        }
        if (kept.length === records.length && !needsHorizon) {
          flushGap();
          writer.add(raw);
          return;
        }
        changed = true;
        const rebuilt = await rebuildBatch(header, kept, needsHorizon ? now + ctx.config.deleteRetentionMs : horizon);
        if (rebuilt === undefined) drop(header);
        else {
          flushGap();
          writer.add(rebuilt);
        }
      });
      if (!ctx.isOpen()) break;
    }
    flushGap();
    writer.finish();
  } catch (err) {
    out.close();
    ctx.store.remove(cleanedName);
    throw err;
  }

  // Between the awaits above, retention, truncation or a close may have changed the
  // group: go on only if every segment is still there, unchanged, and not the active one.
  const segments = ctx.segments();
  const first = segments.indexOf(group[0]!);
  const intact =
    ctx.isOpen() &&
    changed &&
    first !== -1 &&
    first + group.length < segments.length &&
    group.every((s, i) => segments[first + i] === s && s.size === sizesBefore[i]);
  if (!intact) {
    out.close();
    ctx.store.remove(cleanedName);
    return { cleaned: false, deleteHorizon };
  }

  // From here on nothing awaits: the steps run in order with the log's state consistent
  // at each one, and a crash at any of them leaves files recovery completes or discards.
  try {
    ctx.beforeChange();
    out.syncNow();
    out.close();
    faults?.afterStep?.('cleaned-written', base);
    for (const seg of group) {
      ctx.store.remove(Segment.fileName(seg.baseOffset, 'index'));
      ctx.store.remove(Segment.fileName(seg.baseOffset, 'timeindex'));
    }
    faults?.afterStep?.('indexes-removed', base);
    ctx.store.rename(cleanedName, swapName);
    ctx.store.syncDir();
    faults?.afterStep?.('swap-renamed', base);
    for (const seg of group) {
      seg.deleted = true;
      seg.file.close();
    }
    for (const seg of group.slice(1).reverse()) ctx.store.remove(Segment.fileName(seg.baseOffset, 'log'));
    faults?.afterStep?.('originals-deleted', base);
    ctx.store.rename(swapName, Segment.fileName(base, 'log'));
    ctx.store.syncDir();
    faults?.afterStep?.('swapped', base);
    const replacement = new Segment(ctx.store, base, ctx.store.open(Segment.fileName(base, 'log'), false), ctx.now());
    replacement.rebuildFromHeaders(ctx.config.indexIntervalBytes);
    assert(replacement.nextOffset === group[group.length - 1]!.nextOffset, `the cleaned copy of segment ${base} covers the same offsets`);
    replacement.writeIndexFiles(true);
    ctx.replaceSegments(first, group.length, replacement);
    faults?.afterStep?.('indexes-written', base);
  } catch (err) {
    ctx.failStorage(err);
    throw err;
  }
  return { cleaned: true, deleteHorizon };
}

/** Gathers cleaned batches and appends them to the `.cleaned` file a megabyte at a time. */
class CleanedWriter {
  private parts: Buffer[] = [];
  private bytes = 0;
  constructor(private readonly file: StoreFile) {}
  add(batch: Buffer): void {
    this.parts.push(batch);
    this.bytes += batch.length;
    if (this.bytes >= cleanedWriteBytes) this.finish();
  }
  finish(): void {
    if (this.parts.length > 0) this.file.appendv(this.parts);
    this.parts = [];
    this.bytes = 0;
  }
}

function keyString(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

async function decodeRecords(bytes: Buffer, position: number, header: BatchHeader): Promise<DecodedRecord[]> {
  return compressionOf(header.attributes) === 'none' ? decodeUncompressedBatch(bytes, position) : decodeBatch(bytes, position);
}

/** Calls `fn` for every batch of the segment, in order, reading it a few megabytes at a time. */
async function forEachBatch(
  seg: Segment,
  fn: (bytes: Buffer, position: number, header: BatchHeader, raw: Buffer) => Promise<void>,
): Promise<void> {
  const chunkBytes = 4 * 1024 * 1024;
  const size = seg.size;
  let pos = 0;
  while (pos < size) {
    const bytes = seg.readBytes(pos, Math.min(chunkBytes, size - pos));
    let consumed = 0;
    for (const b of iterateBatches(bytes)) {
      checked(seg, bytes, b.position, pos);
      await fn(bytes, b.position, b.header, bytes.subarray(b.position, b.position + b.size));
      consumed = b.position + b.size;
    }
    if (consumed === 0) {
      // One batch larger than the chunk: read it whole.
      const size = bytes.length >= batchHeaderBytes ? bytes.readInt32BE(positions.batchLength) + batchLogOverheadBytes : 0;
      if (size < batchHeaderBytes || size > batchBytesMax || pos + size > seg.size) {
        throw new TributaryError('KAFKA_STORAGE_ERROR', `segment ${seg.baseOffset} is damaged (a batch of ${size} bytes at byte ${pos}); it cannot be compacted`);
      }
      const whole = seg.readBytes(pos, size);
      for (const b of iterateBatches(whole)) {
        checked(seg, whole, b.position, pos);
        await fn(whole, b.position, b.header, whole.subarray(b.position, b.position + b.size));
      }
      consumed = whole.length;
    }
    assert(consumed > 0, `segment ${seg.baseOffset} holds whole batches at byte ${pos}`);
    pos += consumed;
    // Let the event loop run between chunks: a clean of a large log must not stall the
    // appends and reads of every other partition in the process.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/**
 * The cleaner copies batches it keeps whole: it must not copy a damaged one into a new
 * segment (where it would look freshly verified), so it checks every batch it reads that
 * no one has checked since open, and stops the clean at a damaged one.
 */
function checked(seg: Segment, bytes: Buffer, at: number, chunkStart: number): void {
  if (!seg.isUnchecked(chunkStart + at)) return;
  const check = checkBatch(bytes, at, bytes.length);
  if (!check.ok) {
    throw new TributaryError('KAFKA_STORAGE_ERROR', `segment ${seg.baseOffset} is damaged (${check.problem} at byte ${chunkStart + at}); it cannot be compacted`);
  }
  seg.noteChecked(chunkStart + at, check.size);
}

async function rebuildBatch(header: BatchHeader, kept: readonly DecodedRecord[], horizon: number | undefined): Promise<Buffer | undefined> {
  const compression = compressionOf(header.attributes);
  const options = keptBatchOptions(header, horizon !== undefined);
  if (kept.length === 0) {
    // An idempotent producer's batch keeps its (empty) header: the broker's producer state
    // is rebuilt from the last batch of each producer.
    if (header.producerId < 0) return undefined;
    return assembleBatch(Buffer.alloc(0), 0, header.baseTimestamp, header.maxTimestamp, 'none', { ...options, deleteHorizon: false });
  }
  const { body, baseTimestamp, maxTimestamp } = encodeRecords(
    kept.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp })),
    header.baseTimestamp,
    { offsetDeltas: kept.map((r) => r.offset - header.baseOffset), ...(horizon !== undefined ? { baseTimestamp: horizon } : {}) },
  );
  const section = compression === 'none' ? body : await codecFor(compression).compress(body);
  // LogAppendTime batches carry the broker's time as their max timestamp; keep it.
  const maxTs = options.timestampType === 'LogAppendTime' ? header.maxTimestamp : maxTimestamp;
  return assembleBatch(section, kept.length, baseTimestamp, maxTs, compression, options);
}
