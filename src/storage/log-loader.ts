/**
 * Kafka's `LogLoader`: opening a partition log and recovering whatever a crash left.
 * See the recovery state machine in docs/design/storage.md and "What recovery trusts" in
 * durability.md. It runs once per open, synchronously, before the log serves anything.
 * @internal
 */
import { batchHeaderBytes, batchLogOverheadBytes, positions, readInt64 } from '../record/batch.js';
import type { Clock } from '../util/clock.js';
import { orphanIndexFiles, planLeftovers, segmentsReplacedBySwap } from './core/leftovers.js';
import { parseSegmentFileName } from './core/offset-index.js';
import { epochCheckpointFile, LeaderEpochFileCache } from './leader-epoch-file-cache.js';
import type { LocalLog } from './local-log.js';
import type { LogCheckpoints } from './log-checkpoints.js';
import type { LogFlusher } from './log-flusher.js';
import type { EpochEntry, LogConfig, RecoveryReport } from './log.js';
import { Segment } from './segment.js';
import type { Store } from './store.js';

/** What the loader needs from the log it loads. */
export interface LoaderHost {
  readonly store: Store;
  readonly config: LogConfig;
  readonly clock: Clock;
  readonly local: LocalLog;
  readonly checkpoints: LogCheckpoints;
  readonly flusher: LogFlusher;
  readonly leaderEpochCache: LeaderEpochFileCache;
  /** Whether the clean-shutdown marker is on disk (the log removes it before its first change). */
  cleanMarker: boolean;
  /** Removes the clean-shutdown marker if it is still there. */
  beforeChange(): void;
  /** Deletes every segment and starts an empty log at `offset` (checkpoints first). */
  resetTo(offset: number): void;
}

/**
 * The largest active segment restored from its log file in one read instead of from its
 * index files (two opens saved per partition); past it the index files make the restore
 * cheaper than reading the whole segment.
 */
export const smallActiveSegmentBytes = 64 * 1024;

/** The segment files' base offsets in a folder (listed now unless `names` is given), ascending. */
function segmentBases(store: Store, names: readonly string[] = store.list()): number[] {
  return names
    .map(parseSegmentFileName)
    .filter((p): p is { baseOffset: number; suffix: string } => p !== undefined && p.suffix === 'log')
    .map((p) => p.baseOffset)
    .sort((a, b) => a - b);
}

/**
 * Loads the segments of `host`'s folder and recovers what a crash left; returns the log
 * start offset and what recovery did. `distrusted` (why) reloads a log whose clean-shutdown
 * checkpoint disagreed with its files: as after a crash, from the first segment.
 */
export function loadLog(host: LoaderHost, distrusted?: string): { logStartOffset: number; recovery: RecoveryReport } {
  const started = performance.now();
  const { store, config, local, checkpoints, flusher } = host;
  // The segments change below: `active` reads the list until the end (`segmentsChanged`).
  local.forgetActive();
  const now = host.clock.now();
  const interval = config.indexIntervalBytes;
  // The folder is listed once; again only if leftovers changed it. After a clean close a
  // broker's data folder names the files instead (a listing per partition less).
  // A folder the store has just created holds nothing (a new partition: a listing less).
  const recorded = distrusted === undefined ? checkpoints.cleanFileNames?.() : undefined;
  const names = recorded ?? (store.created === true ? [] : store.list());
  const state = checkpoints.read(names);
  if (names.length === 0 && !state.known && !state.clean && distrusted === undefined) return loadNew(host, state.logStartOffset ?? 0, state.recoveryPoint ?? 0, started);
  const clean = state.clean && distrusted === undefined;
  host.cleanMarker = state.clean;
  if (distrusted !== undefined) host.beforeChange(); // the marker goes before anything changes
  const leftovers: string[] = [];
  let changed = false;

  // Files of interrupted operations, decided by name (core/leftovers.ts).
  const plan = planLeftovers(names);
  for (const name of plan.remove) {
    store.remove(name);
    leftovers.push(`removed ${name}`);
  }
  const mustScan = new Set<number>();
  for (const swapBase of plan.swaps) {
    leftovers.push(completeSwap(store, interval, swapBase, mustScan, now));
    changed = true;
  }
  const touched = plan.remove.length > 0 || plan.swaps.length > 0;
  for (const name of orphanIndexFiles(touched ? store.list() : names)) {
    store.remove(name);
    leftovers.push(`removed ${name}`);
  }
  if (leftovers.length > 0) store.syncDir();

  const bases = segmentBases(store, touched || leftovers.length > 0 ? undefined : names);
  const logStartCheckpoint = state.logStartOffset;
  const recoveryPoint = clean ? Infinity : distrusted !== undefined ? 0 : (state.recoveryPoint ?? 0);
  // After a clean close the data folder's marker holds the epoch history the file held (a read per partition less).
  // A listing without the file spares its read (a new partition's: a file-system call less).
  const epochCheckpoint = clean && state.cleanEpochs !== undefined ? state.cleanEpochs.map((e) => ({ ...e })) : recorded === undefined && !names.includes(epochCheckpointFile) ? undefined : LeaderEpochFileCache.read(store);
  const epochsFromScan: EpochEntry[] = [];
  const scanned = new Set<Segment>();
  let batchesScanned = 0;
  let bytesTruncated = 0;
  let indexesRebuilt = 0;
  let segmentsDeleted = 0;
  let truncatedBecause: string | undefined;

  // A new partition: nothing to recover and nothing worth an fsync until its first write.
  const fresh = bases.length === 0 && leftovers.length === 0 && !state.known && !names.some((n) => n.endsWith('checkpoint'));
  flusher.dirUnsynced = fresh;
  if (bases.length === 0) bases.push(logStartCheckpoint ?? 0);
  const segments = local.segments;
  for (let i = 0; i < bases.length; i++) {
    const base = bases[i]!;
    const seg = local.newSegment(base);
    segments.push(seg);
    const nextBase = bases[i + 1] ?? Infinity;
    const previous = segments[i - 1];
    let problem: string | undefined;
    let validBytes = 0;
    if (previous !== undefined && previous.nextOffset !== base) {
      problem = `a gap: the segment starts at ${base}, the previous one ends at ${previous.nextOffset}`;
    } else if (seg.isEmpty && nextBase === Infinity) {
      // An empty active segment (often one never written, whose file does not exist): nothing to check.
      continue;
    } else {
      const trustable = nextBase <= recoveryPoint && !mustScan.has(base);
      // A small active segment is restored from its log file alone (its index files are
      // not opened); any other trusted one from its index files and its tail.
      const fromLog = trustable && nextBase === Infinity && seg.restoreFromLog(interval, smallActiveSegmentBytes);
      if (fromLog || (trustable && seg.loadIndexFiles() && seg.restoreTail())) {
        seg.file.markClean?.(); // below the recovery point, or closed cleanly: it was fsynced
        continue;
      }
      if (trustable) indexesRebuilt++;
      scanned.add(seg);
      const result = seg.scan(base, nextBase, interval, (b, epoch) => {
        const last = epochsFromScan[epochsFromScan.length - 1];
        if (epoch >= 0 && (last === undefined || epoch > last.epoch)) epochsFromScan.push({ epoch, startOffset: b });
      });
      batchesScanned += result.batches;
      validBytes = result.validBytes;
      if (result.problem !== undefined) problem = result.problem;
    }
    if (problem === undefined) continue;
    // Keep the longest valid prefix: drop every later segment (last first, so a crash
    // midway still leaves a prefix), then cut this one (dropping it too if nothing of
    // it is valid and it is not the first).
    changed = true;
    truncatedBecause = `${problem} at byte ${validBytes} of segment ${base}`;
    for (const later of bases.slice(i + 1).reverse()) {
      const f = store.open(Segment.fileName(later, 'log'), false);
      bytesTruncated += f.size;
      f.close();
      for (const suffix of ['log', 'index', 'timeindex'] as const) store.remove(Segment.fileName(later, suffix));
      segmentsDeleted++;
    }
    bytesTruncated += seg.size - validBytes;
    if (validBytes === 0 && i > 0) {
      segments.pop()!.deleteFiles();
      scanned.delete(seg);
      segmentsDeleted++;
    } else {
      seg.truncateAt(validBytes, interval);
      scanned.add(seg);
    }
    break;
  }
  // An empty segment other than the last (a crash right after a roll, then a later
  // roll) holds nothing: remove it.
  for (let i = segments.length - 2; i >= 0; i--) {
    const s = segments[i]!;
    if (s.isEmpty) {
      s.deleteFiles();
      segments.splice(i, 1);
      scanned.delete(s);
      changed = true;
    }
  }

  // A clean close recorded where the log ended: files that end elsewhere were changed
  // behind our back (a last segment deleted, a segment appended to or added), and nothing
  // in them is trusted: start over, scanning every segment. (A cut made above, at a
  // damaged batch, explains itself and is reported as such; the trusted segments before it
  // are CRC-checked by their first read, as always.)
  // Without a listing, a segment added at the log end is looked for by name.
  const added = recorded !== undefined && local.active.baseOffset !== local.logEndOffset && store.exists(Segment.fileName(local.logEndOffset, 'log'));
  if (clean && truncatedBecause === undefined && state.cleanLogEndOffset !== undefined && (added || local.logEndOffset !== state.cleanLogEndOffset)) {
    const why = added
      ? `the clean-shutdown checkpoint says the log ends at offset ${state.cleanLogEndOffset}, and a segment file starts there`
      : `the clean-shutdown checkpoint says the log ends at offset ${state.cleanLogEndOffset}, its files at ${local.logEndOffset}`;
    local.closeFiles();
    local.segments = [];
    return loadLog(host, why);
  }

  // Producer-state snapshots past the recovered log end describe a tail that is gone.
  local.producerSnapshots.load(names, local.logEndOffset);

  // The log start offset: the checkpoint, but never below the first segment.
  let logStartOffset = Math.max(logStartCheckpoint ?? 0, segments[0]!.baseOffset);
  if (logStartOffset > local.logEndOffset) {
    // Everything up to the log start was deleted and the tail was lost (a power loss
    // after deleteRecords): start over there.
    host.beforeChange();
    host.resetTo(logStartOffset);
    changed = true;
  }

  // The epoch history: the checkpoint (written before the first batch of each new epoch),
  // cut at the recovered log end, plus any epoch the scan saw after it.
  let epochs = epochCheckpoint ?? (local.isEmpty ? [] : epochsFromHeaders(local.segments));
  epochs = epochs.filter((e) => e.startOffset < local.logEndOffset);
  for (const e of epochsFromScan) {
    const last = epochs[epochs.length - 1];
    if (last === undefined || (e.epoch > last.epoch && e.startOffset > last.startOffset)) epochs.push(e);
  }
  // A clean close may have left the file behind (entries past the recovery point, which a
  // crash would scan): it holds the first `cleanEpochsInFile`, and the next flush writes it.
  const inFile = clean && state.cleanEpochs !== undefined ? state.cleanEpochsInFile : undefined;
  const fileLags = inFile !== undefined && epochCheckpoint !== undefined && inFile < epochCheckpoint.length;
  host.leaderEpochCache.restore(epochs, fileLags ? epochCheckpoint.slice(0, inFile) : epochCheckpoint, !fresh && !fileLags);
  if (fileLags) host.leaderEpochCache.markBehind();

  if (changed) host.beforeChange();
  if (!fresh && (!clean || changed)) {
    // Make what recovery kept durable, so that the next crash starts from here.
    for (const s of local.segments) {
      if (!scanned.has(s)) continue;
      if (s !== local.active && s.indexesDirty) s.writeIndexFiles(true);
      s.file.syncNow();
    }
    store.syncDir();
    flusher.setRecoveryPoint(local.active.baseOffset);
  } else {
    flusher.recoveryPoint = state.recoveryPoint ?? 0;
  }
  flusher.flushedOffset = local.logEndOffset;
  local.segmentsChanged();
  return {
    logStartOffset,
    recovery: {
      clean,
      segmentsScanned: scanned.size,
      batchesScanned,
      bytesScanned: [...scanned].reduce((n, s) => n + s.size, 0),
      bytesTruncated,
      ...(truncatedBecause === undefined ? {} : { truncatedBecause }),
      indexesRebuilt,
      segmentsDeleted,
      leftovers,
      ...(distrusted === undefined ? {} : { cleanShutdownDistrusted: distrusted }),
      durationMs: performance.now() - started,
    },
  };
}

/**
 * A folder with nothing in it and nothing recorded for it (a new partition's, which its
 * store has just created): one empty active segment, whose file its first write creates,
 * and nothing to recover, check, sync or write. What the general path above concludes for
 * such a folder, without its plans, sets and lists: an open of 10,000 new partitions made
 * 35 MiB of garbage in it (2026-12-07g).
 */
function loadNew(host: LoaderHost, logStartOffset: number, recoveryPoint: number, started: number): { logStartOffset: number; recovery: RecoveryReport } {
  const { local, flusher } = host;
  local.segments.push(local.newSegment(logStartOffset));
  local.segmentsChanged();
  // Nothing worth an fsync until the first write (the folder's entries become durable with it).
  flusher.dirUnsynced = true;
  flusher.recoveryPoint = recoveryPoint;
  flusher.flushedOffset = logStartOffset;
  return {
    logStartOffset,
    recovery: { clean: false, segmentsScanned: 0, batchesScanned: 0, bytesScanned: 0, bytesTruncated: 0, indexesRebuilt: 0, segmentsDeleted: 0, leftovers: [], durationMs: performance.now() - started },
  };
}

/**
 * Completes a compaction that crashed after its commit point (see compaction.ts): the
 * `.swap` file replaces every segment it covers. A swap that is itself damaged (it was
 * fsynced before its rename, so only a failing disk does that) is discarded while the
 * first original is still there to fall back on.
 */
function completeSwap(store: Store, indexIntervalBytes: number, swapBase: number, mustScan: Set<number>, now: number): string {
  const swapName = `${Segment.fileName(swapBase, 'log')}.swap`;
  const logName = Segment.fileName(swapBase, 'log');
  const swap = new Segment(store, swapBase, store.open(swapName, false), now);
  const check = swap.scan(swapBase, Infinity, indexIntervalBytes, () => {});
  swap.file.close();
  if (check.problem !== undefined && store.exists(logName)) {
    store.remove(swapName);
    return `discarded ${swapName}: ${check.problem} at byte ${check.validBytes}; kept the original segments`;
  }
  const replaced = segmentsReplacedBySwap(segmentBases(store), swapBase, swap.nextOffset);
  for (const b of [...replaced].reverse()) {
    for (const suffix of ['index', 'timeindex'] as const) store.remove(Segment.fileName(b, suffix));
    if (b !== swapBase) store.remove(Segment.fileName(b, 'log'));
  }
  store.rename(swapName, logName);
  mustScan.add(swapBase);
  return `completed ${swapName}, replacing segment(s) ${replaced.join(', ') || 'none'}`;
}

/**
 * The leader epoch history rebuilt from the batch headers of every segment, for a log whose
 * `leader-epoch-checkpoint` is missing: each epoch starts at the first batch that carries it.
 */
export function epochsFromHeaders(segments: readonly Segment[]): EpochEntry[] {
  const out: EpochEntry[] = [];
  const header = Buffer.allocUnsafe(batchHeaderBytes);
  for (const seg of segments) {
    let pos = 0;
    while (pos + batchHeaderBytes <= seg.size) {
      seg.file.read(header, 0, batchHeaderBytes, pos);
      const epoch = header.readInt32BE(positions.partitionLeaderEpoch);
      const base = readInt64(header, positions.baseOffset);
      const last = out[out.length - 1];
      if (epoch >= 0 && (last === undefined || epoch > last.epoch)) out.push({ epoch, startOffset: base });
      const size = header.readInt32BE(positions.batchLength) + batchLogOverheadBytes;
      if (size < batchHeaderBytes) break; // damage: reads of it will say so; the epochs before it stand
      pos += size;
    }
  }
  return out;
}
