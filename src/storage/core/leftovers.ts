/**
 * What recovery does with files an interrupted operation left in a partition folder,
 * decided from their names alone, so that the same folder always recovers the same way.
 *
 * The operations that leave such files, and their commit points:
 *
 * - Atomic small-file writes (checkpoints, the clean-shutdown marker) write `<name>.tmp`,
 *   fsync, and rename it over `<name>`. A `.tmp` file is an unfinished write: the old
 *   file is still whole. Remove it.
 * - Compaction writes the cleaned copy of a group of segments as `<base>.log.cleaned`,
 *   fsyncs it, removes the originals' index files, renames the copy to `<base>.log.swap`
 *   and fsyncs the folder (the commit point), then removes the group's other `.log`
 *   files, then renames the swap file over `<base>.log`. So a `.cleaned` file is an
 *   unfinished clean whose original logs are all intact: remove it. A `.swap` file is a
 *   committed clean: complete it (remove every original segment it covers, then rename
 *   it into place). Kafka has the same two rules
 *   (`LogLoader.removeTempFilesAndCollectSwapFiles`).
 * - `.deleted` files (Kafka renames segments so before deleting them) are removed.
 * - Index files whose `.log` is gone are debris of a deleted segment: removed once swaps
 *   are complete (see `orphanIndexFiles`).
 */
import { parseSegmentFileName } from './offset-index.js';

export interface LeftoverPlan {
  /** Files to remove at once. */
  readonly remove: readonly string[];
  /** Base offsets of `<base>.log.swap` files to complete, ascending. */
  readonly swaps: readonly number[];
}

/** Suffix of the temporary file an atomic small-file write renames into place. */
export const atomicWriteSuffix = '.tmp';
/** The folder lock's file name, and the prefix of its temporary files. */
export const lockFilePrefix = '.lock';

export function planLeftovers(names: readonly string[]): LeftoverPlan {
  const remove: string[] = [];
  const swaps: number[] = [];
  for (const name of names) {
    // The folder lock's own temporary files belong to processes trying to take the lock
    // right now; the lock cleans up after dead ones.
    if (name.startsWith(lockFilePrefix)) continue;
    if (name.endsWith(atomicWriteSuffix)) {
      remove.push(name);
      continue;
    }
    const p = parseSegmentFileName(name);
    if (p === undefined) continue;
    if (p.suffix === 'log.swap') swaps.push(p.baseOffset);
    // Index swaps and every other temporary suffix: indexes are rebuilt from the log.
    else if (p.suffix.endsWith('.cleaned') || p.suffix.endsWith('.deleted') || p.suffix.endsWith('.swap')) remove.push(name);
  }
  swaps.sort((a, b) => a - b);
  return { remove, swaps };
}

/**
 * The segments a completed swap replaces: every segment whose base offset lies in
 * `[swapBase, swapNextOffset)`, the offsets the cleaned copy covers. (Compaction keeps
 * the group's offsets tiled, so the copy covers exactly its originals.)
 *
 * Example: segments [0, 100, 250, 400], a swap at 100 covering [100, 400): 100 and 250.
 */
export function segmentsReplacedBySwap(segmentBases: readonly number[], swapBase: number, swapNextOffset: number): number[] {
  return segmentBases.filter((b) => b >= swapBase && b < swapNextOffset);
}

/** Index files (`.index`, `.timeindex`) with no `.log` file of the same base beside them. */
export function orphanIndexFiles(names: readonly string[]): string[] {
  const logs = new Set<number>();
  for (const name of names) {
    const p = parseSegmentFileName(name);
    if (p?.suffix === 'log') logs.add(p.baseOffset);
  }
  return names.filter((name) => {
    const p = parseSegmentFileName(name);
    return p !== undefined && (p.suffix === 'index' || p.suffix === 'timeindex') && !logs.has(p.baseOffset);
  });
}
