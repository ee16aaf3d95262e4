import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, writeFileAtomicAsync } from '../storage/atomic-file.js';

/*
 * Kafka's `replication-offset-checkpoint` (its `OffsetCheckpointFile` as the
 * `ReplicaManager` keeps high watermarks): one file per data folder, written by the replica
 * manager, read once at start.
 */

/** Kafka's per-broker high watermark file, in the data folder. */
export const highWatermarkCheckpointFile = 'replication-offset-checkpoint';

/** One line of the high watermark checkpoint. */
export interface HighWatermarkEntry {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/**
 * Writes the high watermarks of all a broker's partitions to
 * `<dataDir>/replication-offset-checkpoint`, atomically (temporary file, fsync, rename),
 * in Kafka's format: a version line `0`, a count line, then `topic partition offset`
 * lines. Kafka writes it every `replica.high.watermark.checkpoint.interval.ms` (5 s);
 * a stale value only makes a restarted replica start from a lower high watermark.
 */
export function writeHighWatermarkCheckpoint(dataDir: string, entries: readonly HighWatermarkEntry[]): void {
  writeFileAtomic(dataDir, highWatermarkCheckpointFile, formatHighWatermarks(entries));
}

/** `writeHighWatermarkCheckpoint` off the thread (the periodic checkpoint): one at a time. */
export function writeHighWatermarkCheckpointAsync(dataDir: string, entries: readonly HighWatermarkEntry[]): Promise<void> {
  return writeFileAtomicAsync(dataDir, highWatermarkCheckpointFile, formatHighWatermarks(entries));
}

function formatHighWatermarks(entries: readonly HighWatermarkEntry[]): string {
  return `${['0', String(entries.length), ...entries.map((e) => `${e.topic} ${e.partition} ${e.offset}`)].join('\n')}\n`;
}

/**
 * Reads `<dataDir>/replication-offset-checkpoint`: topic-partition (`topic-partition`) to
 * high watermark. A missing or malformed file reads as empty: every replica then starts
 * from its log start, which is safe (a lower high watermark holds back consumers and
 * truncation never goes below it; nothing committed is lost).
 */
export function readHighWatermarkCheckpoint(dataDir: string): Map<string, number> {
  const out = new Map<string, number>();
  let text: string;
  try {
    text = readFileSync(join(dataDir, highWatermarkCheckpointFile), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw err;
  }
  const lines = text.split('\n').filter((l) => l.length > 0);
  const count = Number(lines[1]);
  if (lines[0] !== '0' || !Number.isInteger(count) || lines.length !== count + 2) return out;
  const parsed = new Map<string, number>();
  for (const line of lines.slice(2)) {
    const parts = line.split(' ');
    const offset = Number(parts[2]);
    const partition = Number(parts[1]);
    if (parts.length !== 3 || !Number.isSafeInteger(offset) || offset < 0 || !Number.isInteger(partition) || partition < 0) return out;
    parsed.set(`${parts[0]}-${partition}`, offset);
  }
  return parsed;
}

/**
 * A broker's high-watermark checkpoints (Kafka's `ReplicaManager.highWatermarkCheckpoints`
 * over its `OffsetCheckpointFile`): what the file held at start, kept for the replicas not
 * open yet and updated from the hosted ones at each write. Moved out of replica-manager.ts.
 * @internal
 */
export class HighWatermarkCheckpoints {
  private readonly offsets: Map<string, number>;
  private writing: Promise<void> | undefined;
  /** Whether the file may differ from `offsets` (an entry forgotten, a write that failed, the first write). */
  private dirty = true;

  constructor(private readonly dataDir: string) {
    this.offsets = readHighWatermarkCheckpoint(dataDir);
  }

  /** The checkpointed high watermark of a partition, if any. */
  get(topic: string, partition: number): number | undefined {
    return this.offsets.get(`${topic}-${partition}`);
  }

  /** A replica deleted: its entry goes with the next write. */
  forget(topic: string, partition: number): void {
    if (this.offsets.delete(`${topic}-${partition}`)) this.dirty = true;
  }

  /** Waits for the background write in flight, if any (a write after it must not be renamed over by it). */
  async drain(): Promise<void> {
    await this.writing;
  }

  /** Writes every entry now; a failure (a full disk) is left to the next write: the logs themselves are intact. */
  write(replicas: Iterable<HighWatermarkSource>): void {
    try {
      writeHighWatermarkCheckpoint(this.dataDir, this.entries(replicas));
    } catch {
      // A full disk: the next checkpoint tries again.
    }
  }

  /**
   * Writes off the thread; skipped while the last one is still being written, and when no
   * high watermark moved since the last write (an idle broker of 10,000 partitions wrote
   * the same 10,000 lines every 5 s: 0.8 ms of CPU a second for nothing).
   */
  writeInBackground(replicas: Iterable<HighWatermarkSource>): void {
    if (this.writing !== undefined) return;
    if (!this.update(replicas) && !this.dirty) return;
    this.dirty = false;
    this.writing = writeHighWatermarkCheckpointAsync(this.dataDir, this.entries([]))
      .catch(() => {
        // A full disk: the next checkpoint tries again.
        this.dirty = true;
      })
      .finally(() => (this.writing = undefined));
  }

  /** Takes the replicas' high watermarks; whether any differs from what was held. */
  private update(replicas: Iterable<HighWatermarkSource>): boolean {
    let changed = false;
    for (const r of replicas) {
      const key = `${r.topic}-${r.partition}`;
      const hw = r.replica.highWatermark;
      if (this.offsets.get(key) === hw) continue;
      this.offsets.set(key, hw);
      changed = true;
    }
    return changed;
  }

  private entries(replicas: Iterable<HighWatermarkSource>): HighWatermarkEntry[] {
    this.update(replicas);
    return [...this.offsets].map(([k, offset]) => {
      const i = k.lastIndexOf('-');
      return { topic: k.slice(0, i), partition: Number(k.slice(i + 1)), offset };
    });
  }
}

/** A hosted replica, as the checkpoints read it. */
export interface HighWatermarkSource {
  readonly topic: string;
  readonly partition: number;
  readonly replica: { readonly highWatermark: number };
}
