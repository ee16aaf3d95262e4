import {
  assembleBatch,
  attributeBits,
  compressionOf,
  encodeRecords,
  isControlBatch,
  iterateBatches,
  type BatchHeader,
  type DecodedRecord,
} from '../record/batch.js';
import { codecFor, decodeBatch } from '../record/codecs/index.js';
import type { LogConfig } from './log.js';
import { Segment } from './segment.js';
import type { Store } from './store.js';

/**
 * Key-based compaction (`cleanup.policy=compact`), Kafka's log cleaner in miniature.
 *
 * 1. The cleanable section is every inactive segment whose newest record is older than
 *    `min.compaction.lag.ms` (the active segment is never cleaned). It is cleaned when
 *    its dirty part (segments not cleaned before, past the `cleaner-offset-checkpoint`)
 *    is at least `min.cleanable.dirty.ratio` of it.
 * 2. A map of key -> offset of its latest record is built over the cleanable section.
 * 3. Each cleanable segment is recopied keeping, for every key, only its latest record;
 *    records without a key (possible only inside compressed batches, which the append
 *    path cannot inspect synchronously) are kept. Batches keep their base offset, offset
 *    span, producer fields, epoch and codec, so offsets never change and a reader sees
 *    gaps inside batches, as in Kafka. A run of batches left with no records becomes one
 *    empty batch spanning their offsets (Kafka drops them and leaves a gap): batch spans
 *    then always tile the log, which lets recovery treat any gap as corruption of the
 *    unchecksummed base offset field. An emptied batch of an idempotent producer keeps
 *    its own header, to preserve its sequence numbers.
 * 4. Tombstones (null values) are kept with a delete horizon stamped into their batch the
 *    first time a clean keeps them (KIP-534: attribute bit 6, the horizon in
 *    baseTimestamp, record timestamps stay exact); a later clean after the horizon drops
 *    them. So a tombstone survives at least `delete.retention.ms` after the clean that
 *    first saw it, long enough for a consumer reading from the start to see the delete.
 *
 * Crash safety, per segment: the cleaned copy is written to `<base>.log.cleaned` and
 * fsynced; the segment's index files are removed (a missing index is rebuilt on open);
 * then the copy is renamed over `<base>.log` (atomic) and the folder fsynced; then the
 * new indexes are written. A crash before the rename leaves the old segment (and a
 * `.cleaned` file that opening discards); after it, the new one. Either way every record
 * is there exactly once.
 *
 * The key map holds every distinct key of the cleanable section in memory (as latin1
 * strings). Kafka bounds it with a fixed-size MD5 map and cleans in rounds; that is the
 * next step if logs with tens of millions of distinct keys need compacting.
 * @internal
 */
export interface CompactionFaults {
  /** Called after each step of cleaning a segment; a crash test exits the process here. */
  afterStep?(step: CompactionStep, baseOffset: number): void;
}

export type CompactionStep = 'cleaned-written' | 'indexes-removed' | 'swapped' | 'indexes-written';

export interface CompactionContext {
  readonly store: Store;
  readonly config: LogConfig;
  segments(): readonly Segment[];
  replaceSegment(index: number, seg: Segment): void;
  context(): { topic: string; partition: number };
  isOpen(): boolean;
}

const cleanerCheckpointFile = 'cleaner-offset-checkpoint';

export async function compactLog(ctx: CompactionContext, now: number, faults: CompactionFaults | undefined): Promise<boolean> {
  const all = ctx.segments();
  const cleanable: Segment[] = [];
  for (const seg of all.slice(0, -1)) {
    if (seg.maxTimestamp >= 0 && now - seg.maxTimestamp < ctx.config.minCompactionLagMs) break;
    cleanable.push(seg);
  }
  if (cleanable.length === 0) return false;
  const firstDirty = Number.parseInt(ctx.store.readAll(cleanerCheckpointFile)?.toString('utf8') ?? '0', 10) || 0;
  let total = 0;
  let dirty = 0;
  for (const seg of cleanable) {
    total += seg.size;
    if (seg.nextOffset > firstDirty) dirty += seg.size;
  }
  if (total === 0 || dirty / total < ctx.config.minCleanableDirtyRatio) return false;

  // The latest offset of every key in the cleanable section.
  const latest = new Map<string, number>();
  for (const seg of cleanable) {
    await forEachBatch(seg, async (bytes, position, header) => {
      if (isControlBatch(header.attributes)) return;
      for (const r of await decodeBatch(bytes, position)) {
        if (r.key !== null) latest.set(keyString(r.key), r.offset);
      }
    });
  }

  let cleanedAny = false;
  for (const seg of cleanable) {
    if (!ctx.isOpen()) return cleanedAny;
    const parts: Buffer[] = [];
    let changed = false;
    // Runs of dropped batches are replaced by one empty batch spanning their offsets, so
    // batch offset spans always tile the log with no gap (recovery relies on it).
    let gap: { start: number; end: number; maxTimestamp: number } | undefined;
    const flushGap = (): void => {
      if (gap === undefined) return;
      parts.push(assembleBatch(Buffer.alloc(0), 0, gap.maxTimestamp, gap.maxTimestamp, 'none', { baseOffset: gap.start, lastOffsetDelta: gap.end - gap.start }));
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
    await forEachBatch(seg, async (bytes, position, header, raw) => {
      if (isControlBatch(header.attributes)) {
        flushGap();
        parts.push(raw);
        return;
      }
      if (header.recordCount === 0 && header.producerId < 0) {
        // An earlier clean's gap batch: merge it into the current run.
        if (gap !== undefined) changed = true;
        drop(header);
        return;
      }
      const records = await decodeBatch(bytes, position);
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
      if (kept.length === records.length && !needsHorizon) {
        flushGap();
        parts.push(raw);
        return;
      }
      changed = true;
      const rebuilt = await rebuildBatch(header, kept, needsHorizon ? now + ctx.config.deleteRetentionMs : horizon);
      if (rebuilt === undefined) drop(header);
      else {
        flushGap();
        parts.push(rebuilt);
      }
    });
    flushGap();
    if (!changed) continue;
    // A retention or truncation that ran while we awaited may have removed the segment.
    const index = ctx.segments().indexOf(seg);
    if (index === -1 || index === ctx.segments().length - 1) continue;
    const base = seg.baseOffset;
    const cleanedName = `${Segment.fileName(base, 'log')}.cleaned`;
    ctx.store.remove(cleanedName);
    const out = ctx.store.open(cleanedName, true);
    for (const p of parts) out.append(p, 0, p.length);
    out.syncNow();
    out.close();
    faults?.afterStep?.('cleaned-written', base);
    ctx.store.remove(Segment.fileName(base, 'index'));
    ctx.store.remove(Segment.fileName(base, 'timeindex'));
    faults?.afterStep?.('indexes-removed', base);
    seg.file.close();
    ctx.store.rename(cleanedName, Segment.fileName(base, 'log'));
    ctx.store.syncDir();
    faults?.afterStep?.('swapped', base);
    const replacement = new Segment(ctx.store, base, ctx.store.open(Segment.fileName(base, 'log'), false));
    replacement.rebuildFromHeaders(ctx.config.indexIntervalBytes);
    replacement.maxTimestamp = Math.max(replacement.maxTimestamp, seg.maxTimestamp);
    replacement.appendTimeIndexEntry();
    replacement.writeIndexFiles(true);
    ctx.replaceSegment(index, replacement);
    faults?.afterStep?.('indexes-written', base);
    cleanedAny = true;
  }
  const last = cleanable[cleanable.length - 1]!;
  ctx.store.writeAtomic(cleanerCheckpointFile, Buffer.from(`${last.nextOffset}\n`));
  return cleanedAny;
}

function keyString(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

async function forEachBatch(
  seg: Segment,
  fn: (bytes: Buffer, position: number, header: BatchHeader, raw: Buffer) => Promise<void>,
): Promise<void> {
  const chunkBytes = 4 * 1024 * 1024;
  let pos = 0;
  while (pos < seg.size) {
    const bytes = seg.readBytes(pos, Math.min(chunkBytes, seg.size - pos));
    let consumed = 0;
    for (const b of iterateBatches(bytes)) {
      await fn(bytes, b.position, b.header, bytes.subarray(b.position, b.position + b.size));
      consumed = b.position + b.size;
    }
    if (consumed === 0) {
      // One batch larger than the chunk: read it whole.
      const size = bytes.readInt32BE(8) + 12;
      const whole = seg.readBytes(pos, size);
      for (const b of iterateBatches(whole)) await fn(whole, b.position, b.header, whole.subarray(b.position, b.position + b.size));
      consumed = size;
    }
    pos += consumed;
  }
}

async function rebuildBatch(header: BatchHeader, kept: readonly DecodedRecord[], horizon: number | undefined): Promise<Buffer | undefined> {
  const compression = compressionOf(header.attributes);
  const options = {
    baseOffset: header.baseOffset,
    partitionLeaderEpoch: header.partitionLeaderEpoch,
    producerId: header.producerId,
    producerEpoch: header.producerEpoch,
    baseSequence: header.baseSequence,
    transactional: (header.attributes & attributeBits.transactional) !== 0,
    timestampType: header.attributes & attributeBits.timestampType ? ('LogAppendTime' as const) : ('CreateTime' as const),
    lastOffsetDelta: header.lastOffsetDelta,
    deleteHorizon: horizon !== undefined,
  };
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

