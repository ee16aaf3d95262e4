/**
 * Pieces of loading a partition log (Kafka's `LogLoader`) that need no state of the log
 * itself. The rest of recovery lives in `PartitionLog.load`.
 * @internal
 */
import { batchHeaderBytes, batchLogOverheadBytes, positions, readInt64 } from '../record/batch.js';
import type { EpochEntry } from './log.js';
import type { Segment } from './segment.js';

/**
 * The leader epoch cache rebuilt from the batch headers of every segment, for a log whose
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
